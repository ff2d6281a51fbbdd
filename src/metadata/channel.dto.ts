import { IsIn } from '../common/class-validator.js';
import type { ChannelRef, ChannelType } from '@avalon-realtime/client/protocol';
import { IsResourceId } from '../common/validation.js';

/** `{ channelType, channelName }`: a room channel is named by its roomId, a user channel by its userId. */
export class ChannelDto implements ChannelRef {
  @IsIn(['room', 'user'])
  channelType: ChannelType;

  @IsResourceId()
  channelName: string;
}

export const channelOf = (dto: ChannelRef): ChannelRef => ({
  channelType: dto.channelType,
  channelName: dto.channelName,
});
