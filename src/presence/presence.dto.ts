import { IsInt, Max, Min } from '../common/class-validator.js';
import type { JsonObject } from '@avalon-realtime/client/protocol';
import { Limits } from '@avalon-realtime/client/protocol';
import { IsJsonObject, IsOptionalField, IsResourceId, MaxJsonBytes } from '../common/validation.js';

export class JoinDto {
  @IsResourceId()
  roomId: string;

  @IsOptionalField()
  @IsResourceId()
  connId?: string;

  @IsOptionalField()
  @IsJsonObject()
  @MaxJsonBytes(Limits.STATE_BYTES)
  state?: JsonObject;
}

export class HeartbeatDto {
  @IsResourceId()
  roomId: string;

  @IsResourceId()
  connId: string;

  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  epoch: number;

  @IsOptionalField()
  @IsJsonObject()
  @MaxJsonBytes(Limits.STATE_BYTES)
  state?: JsonObject;

  @IsOptionalField()
  @IsJsonObject()
  @MaxJsonBytes(Limits.STATE_BYTES)
  statePatch?: JsonObject;
}

export class LeaveDto {
  @IsResourceId()
  roomId: string;

  @IsResourceId()
  connId: string;
}

export class ListDto {
  @IsResourceId()
  roomId: string;
}

export class UserDto {
  @IsResourceId()
  userId: string;
}
