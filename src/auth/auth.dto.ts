import { IsNotEmpty, IsString } from '../common/class-validator.js';

export class RefreshDto {
  /** Its size cap and every claim are checked by JwtService, which answers UNAUTHENTICATED. */
  @IsString()
  @IsNotEmpty()
  token: string;
}
