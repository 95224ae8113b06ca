import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, ApiErrorResponses, AuthUser, CurrentUser, ok, Roles, uuidParam } from '../../libs/http';
import { ListUsersQueryDto } from './dto/list-users.dto';
import { toUserResponse, UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

const PAGE_META = {
  meta: {
    type: 'object',
    required: ['page', 'limit', 'total'],
    properties: {
      page: { type: 'integer', example: 1 },
      limit: { type: 'integer', example: 20, description: 'after clamping to 100' },
      total: { type: 'integer', example: 57, description: 'users matching the search, over all pages' },
    },
  },
};

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

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'List users (admin): newest first, paged, optional search over name and email' })
  @ApiEnvelopeResponse({ status: 200, message: 'list_users_ok', type: UserResponseDto, extra: PAGE_META })
  @ApiErrorResponses({ 400: ['v_int'], 401: ['token_invalid'], 403: ['forbidden'] })
  async list(@Query() query: ListUsersQueryDto) {
    const { users, ...meta } = await this.users.list(query);
    return ok('list_users_ok', users.map(toUserResponse), { meta });
  }

  // Declared after `me`: Express matches in order, and "me" is not a uuid.
  @Get(':id')
  @ApiOperation({ summary: 'One user: the caller’s own, or anyone’s for an admin' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiEnvelopeResponse({ status: 200, message: 'get_user_ok', type: UserResponseDto })
  @ApiErrorResponses({ 400: ['v_uuid'], 401: ['token_invalid'], 403: ['forbidden'], 404: ['user_not_found'] })
  async getOne(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return ok('get_user_ok', toUserResponse(await this.users.getForCaller(caller, id)));
  }
}
