import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, ApiErrorResponses, AuthUser, CurrentUser, ok } from '../../libs/http';
import { toUserResponse, UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: 'The caller’s own user' })
  @ApiEnvelopeResponse({ status: 200, message: 'get_user_ok', type: UserResponseDto })
  @ApiErrorResponses({ 401: ['token_invalid'] })
  async me(@CurrentUser() caller: AuthUser) {
    return ok('get_user_ok', toUserResponse(await this.users.getById(caller.id)));
  }
}
