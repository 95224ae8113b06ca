import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, IsUUID } from 'class-validator';
import { MaxChars, OmittableNotNull, OptionalStringsBody } from '../../http';
import { ConfirmationField, EmailField, GenderField, NameField, PasswordField, PhoneField } from '../../users/dto/user-fields';
import type { Gender } from '../../users/user.entity';

export class RegisterDto {
  @NameField()
  name: string;

  @EmailField()
  email: string;

  @PasswordField()
  password: string;

  @ConfirmationField()
  confirmation: string;

  @PhoneField()
  no_tlp?: string | null;

  @GenderField()
  gender?: Gender | null;
}

export class EmailDto {
  @EmailField()
  email: string;
}

export class LoginDto {
  @EmailField()
  email: string;

  @ApiProperty({ example: 'rahasia123', maxLength: 1024, description: 'over 72 bytes never matches (bcrypt’s limit)' })
  @IsNotEmpty()
  @IsString()
  @MaxChars(1024)
  password: string;
}

@OptionalStringsBody('refresh_token')
export class RefreshDto {
  @ApiPropertyOptional({
    description: 'or send it as `Authorization: Bearer <refresh_token>`',
    maxLength: 256,
    example: 'mV3k0Vd1sQ8yJ2pX5rT7uW9zA1cE3gI5kM7oQ9sU1wY',
  })
  @IsOptional()
  @IsString()
  // No length limit: any string that is not a live refresh token (an access token included) is a 401.
  refresh_token?: string;
}

export class LogoutDto {
  @ApiPropertyOptional({ description: 'true ends every session of the user', example: false })
  @IsOptional()
  @IsBoolean()
  all?: boolean;

  // The route list's logout body (API.md, "The original documents' own requests"): checked, then route 6.
  @ApiPropertyOptional({
    description: 'route list body: the caller’s refresh or access token (another’s is 403)',
    maxLength: 2048,
    example: 'mV3k0Vd1sQ…',
  })
  @OmittableNotNull()
  @IsString()
  @MaxChars(2048)
  token?: string;

  @ApiPropertyOptional({ description: 'route list body: the caller’s own id (another is 403)', format: 'uuid', maxLength: 36 })
  @OmittableNotNull()
  @IsUUID()
  user_id?: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'the token from the reset link', maxLength: 200 })
  @IsNotEmpty()
  @IsString()
  @MaxChars(200)
  token: string;

  @PasswordField()
  password: string;

  @ConfirmationField()
  confirmation: string;
}
