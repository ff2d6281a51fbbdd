import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpException,
  HttpStatus,
  NotFoundException,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { isResourceId } from '../common/ids.js';
import { AppConfig } from '../config/app-config.js';
import { clientIp } from '../rate-limit/client-ip.js';
import { DevOnlyGuard } from './dev-only.guard.js';
import { DevTokens } from './dev-tokens.js';

/** `POST /demo/token { userId }` → `{ token }`, on development servers only (see DevTokens). */
@Controller('demo')
@UseGuards(DevOnlyGuard)
export class DevTokenController {
  constructor(
    private readonly tokens: DevTokens,
    private readonly config: AppConfig,
  ) {}

  @Post('token')
  @HttpCode(HttpStatus.OK)
  async token(@Body() body: unknown, @Req() req: IncomingMessage): Promise<{ token: string }> {
    const result = await this.tokens.issue(
      userIdOf(body),
      clientIp(req, this.config.get('TRUST_PROXY')),
    );
    if ('token' in result) {
      return result;
    }
    if (result.refused === 'unavailable') {
      throw new NotFoundException();
    }
    throw new HttpException('too many dev tokens from this address', HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** The body must be exactly `{ userId }`, a user id as the protocol spells them. */
function userIdOf(body: unknown): string {
  const fields: [string, unknown][] =
    body !== null && typeof body === 'object' ? Object.entries(body) : [];
  const [name, value] = fields[0] ?? [];
  if (fields.length !== 1 || name !== 'userId' || !isResourceId(value)) {
    throw new BadRequestException('body must be { "userId": 1-64 characters of [A-Za-z0-9_.:-] }');
  }
  return value;
}
