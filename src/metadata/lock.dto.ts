import { IsInt, Max, Min } from '../common/class-validator.js';
import { Limits } from '@avalon-realtime/client/protocol';
import { IsResourceId } from '../common/validation.js';
import { ChannelDto } from './channel.dto.js';

export class LockDto extends ChannelDto {
  @IsResourceId()
  lockName: string;
}

export class LockTtlDto extends LockDto {
  @IsInt()
  @Min(Limits.LOCK_TTL_MIN_MS)
  @Max(Limits.LOCK_TTL_MAX_MS)
  ttlMs: number;
}
