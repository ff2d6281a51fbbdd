import { IsString, Length } from '../common/class-validator.js';
import { Limits, type JsonValue } from '@avalon-realtime/client/protocol';
import { IsJsonValue, IsOptionalField, IsResourceId, MaxJsonBytes } from '../common/validation.js';

export class RoomMessageDto {
  @IsResourceId()
  roomId: string;

  @IsOptionalField()
  @IsString()
  @Length(1, 64)
  type?: string;

  @IsJsonValue()
  @MaxJsonBytes(Limits.MESSAGE_BYTES)
  data: JsonValue;
}
