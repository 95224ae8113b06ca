import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { MaxChars } from '../../http';
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

export class RefreshDto {
  @ApiPropertyOptional({ description: 'or send it as `Authorization: Bearer <refresh_token>`' })
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
