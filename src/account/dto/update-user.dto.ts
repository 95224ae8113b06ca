import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { MaxChars } from '../../http';
import { ConfirmationField, EmailField, GenderField, NameField, PasswordField, PhoneField, RoleField } from '../../users/dto/user-fields';
import type { Gender, Role } from '../../users/user.entity';

/** PUT /users/:id: every field optional; a field left out stays as it is. */
export class UpdateUserDto {
  @NameField(false)
  name?: string;

  @EmailField(false)
  email?: string;

  @PasswordField(false)
  password?: string;

  @ConfirmationField(false)
  confirmation?: string;

  @ApiPropertyOptional({
    example: 'rahasia123',
    maxLength: 1024,
    description: 'the caller’s own current password; required to change `password` or `email` (an admin gives their own)',
  })
  @IsOptional()
  @IsString()
  @MaxChars(1024)
  current_password?: string;

  @PhoneField()
  no_tlp?: string | null;

  @GenderField()
  gender?: Gender | null;

  @RoleField()
  role?: Role;
}
