import { IsNotEmpty, IsString } from 'class-validator';

export class RefreshDto {
  /** Its size cap and every claim are checked by JwtService, which answers UNAUTHENTICATED. */
  @IsString()
  @IsNotEmpty()
  token: string;
}
