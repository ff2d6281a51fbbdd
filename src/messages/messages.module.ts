import { Module } from '@nestjs/common';
import { MessagesGateway } from './messages.gateway.js';
import { MessagesService } from './messages.service.js';

@Module({ providers: [MessagesGateway, MessagesService] })
export class MessagesModule {}
