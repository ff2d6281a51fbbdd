import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from '../common/class-validator.js';
import {
  ErrorCode,
  Limits,
  type ItemWrite,
  type JsonValue,
} from '@avalon-realtime/client/protocol';
import { IsJsonValue, IsOptionalField, IsResourceId, MaxJsonBytes } from '../common/validation.js';
import { ChannelDto } from './channel.dto.js';

const revision = (): PropertyDecorator => (target, key) => {
  IsInt()(target, key);
  Max(Number.MAX_SAFE_INTEGER)(target, key);
  Min(-1)(target, key);
};

/** Over the item limit in one request is a size limit, like the channel's. */
const tooMany = { context: { code: ErrorCode.PAYLOAD_TOO_LARGE } };

export class ItemWriteDto implements ItemWrite {
  @IsString()
  @Length(1, Limits.KEY_LENGTH)
  key: string;

  @IsJsonValue()
  @MaxJsonBytes(Limits.VALUE_BYTES)
  value: JsonValue;

  @IsOptionalField()
  @revision()
  revision?: number;
}

export class MetadataWriteDto extends ChannelDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(Limits.ITEMS_PER_CHANNEL, tooMany)
  @ArrayUnique((item: ItemWriteDto) => item?.key, { message: 'items must have distinct keys' })
  @ValidateNested({ each: true })
  @Type(() => ItemWriteDto)
  items: ItemWriteDto[];

  @IsOptionalField()
  @revision()
  majorRevision?: number;

  @IsOptionalField()
  @IsResourceId()
  lockName?: string;
}

export class MetadataRemoveDto extends ChannelDto {
  @IsOptionalField()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(Limits.ITEMS_PER_CHANNEL, tooMany)
  @ArrayUnique(undefined, { message: 'keys must be distinct' })
  @IsString({ each: true })
  @Length(1, Limits.KEY_LENGTH, { each: true })
  keys?: string[];

  @IsOptionalField()
  @revision()
  majorRevision?: number;

  @IsOptionalField()
  @IsResourceId()
  lockName?: string;
}
