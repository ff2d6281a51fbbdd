import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  Max,
  Min,
  ValidateNested,
} from '../common/class-validator.js';
import type {
  GameAssassinateRequest,
  GameCreateRequest,
  GameProposeRequest,
  GameQuestRequest,
  GameRoomRequest,
  GameSitRequest,
  GameVoteRequest,
  RoleOptions,
} from '@avalon-realtime/client/protocol';
import { IsOptionalField, IsResourceId } from '../common/validation.js';

/** Seats are 0–9, and a game never has more players than seats. */
const SEATS = 10;

export class GameRoomDto implements GameRoomRequest {
  @IsResourceId()
  roomId: string;
}

export class RoleOptionsDto implements RoleOptions {
  @IsOptionalField()
  @IsBoolean()
  percival?: boolean;

  @IsOptionalField()
  @IsBoolean()
  morgana?: boolean;

  @IsOptionalField()
  @IsBoolean()
  mordred?: boolean;

  @IsOptionalField()
  @IsBoolean()
  oberon?: boolean;
}

export class GameCreateDto extends GameRoomDto implements GameCreateRequest {
  @IsOptionalField()
  @ValidateNested()
  @Type(() => RoleOptionsDto)
  roles?: RoleOptionsDto;
}

export class GameSitDto extends GameRoomDto implements GameSitRequest {
  @IsOptionalField()
  @IsInt()
  @Min(0)
  @Max(SEATS - 1)
  seat?: number;
}

export class GameProposeDto extends GameRoomDto implements GameProposeRequest {
  @IsArray()
  @ArrayMaxSize(SEATS)
  @IsResourceId({ each: true })
  team: string[];
}

export class GameVoteDto extends GameRoomDto implements GameVoteRequest {
  @IsBoolean()
  approve: boolean;
}

export class GameQuestDto extends GameRoomDto implements GameQuestRequest {
  @IsBoolean()
  success: boolean;
}

export class GameAssassinateDto extends GameRoomDto implements GameAssassinateRequest {
  @IsResourceId()
  target: string;
}
