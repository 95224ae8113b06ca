import { Body, Controller, Delete, Get, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  ApiEnvelopeResponse,
  ApiErrorResponses,
  type AuthUser,
  CurrentUser,
  linkOutcome,
  LinkPage,
  type Lang,
  ok,
  Public,
  RequestLang,
  Roles,
  uuidParam,
} from '../http';
import { toUserResponse, UserResponseDto } from '../users/dto/user-response.dto';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AccountService } from './account.service';
import { ListUsersQueryDto } from './dto/list-users.dto';
import { UpdateUserDto } from './dto/update-user.dto';

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

/** The /api/users resource: reads go straight to UsersService, changes through AccountService. */
@ApiTags('users')
@Controller('users')
export class AccountController {
  constructor(
    private readonly users: UsersService,
    private readonly account: AccountService,
  ) {}

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller’s own user' })
  @ApiEnvelopeResponse({ status: 200, message: 'get_user_ok', type: UserResponseDto })
  @ApiErrorResponses({ 401: ['token_invalid'] })
  async me(@CurrentUser() caller: AuthUser<User>) {
    return ok('get_user_ok', toUserResponse(caller.user ?? (await this.users.getById(caller.id))));
  }

  @Get()
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List users (admin): newest first, paged, optional search over name and email' })
  @ApiEnvelopeResponse({ status: 200, message: 'list_users_ok', type: UserResponseDto, extra: PAGE_META })
  @ApiErrorResponses({ 400: ['v_int'], 401: ['token_invalid'], 403: ['forbidden'] })
  async list(@Query() query: ListUsersQueryDto) {
    const { users, ...meta } = await this.users.list(query);
    return ok('list_users_ok', users.map(toUserResponse), { meta });
  }

  // Declared after `me`: Express matches in order, and "me" is not a uuid.
  @Get(':id')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'One user: the caller’s own, or anyone’s for an admin' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiEnvelopeResponse({ status: 200, message: 'get_user_ok', type: UserResponseDto })
  @ApiErrorResponses({ 400: ['v_uuid'], 401: ['token_invalid'], 403: ['forbidden'], 404: ['user_not_found'] })
  async getOne(@CurrentUser() caller: AuthUser<User>, @Param('id', uuidParam('id')) id: string) {
    // Self: the row the guard loaded with the session check; anyone else: the usual read and rules.
    const own = caller.id === id ? caller.user : undefined;
    return ok('get_user_ok', toUserResponse(own ?? (await this.users.getForCaller(caller, id))));
  }

  @Put(':id')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Update a user (self or admin); partial body',
    description:
      'name / no_tlp / gender change at once (null clears no_tlp and gender). `password` (with `confirmation`) and ' +
      '`email` need `current_password`: the caller’s own, also when an admin edits someone else. A new password ends ' +
      'every other session of that user and sends a notice. A new email takes effect only when the link sent to it is ' +
      'clicked; the old address gets a notice. `role` is for admins only; the last admin cannot be demoted; a role ' +
      'change ends that user’s sessions (tokens carry the role).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiEnvelopeResponse({
    status: 200,
    message: 'update_ok',
    type: UserResponseDto,
    description: '"Update user berhasil"; with an email change the user still shows the old address until the link is clicked',
  })
  @ApiErrorResponses({
    400: ['v_uuid', 'current_password_required', 'current_password_wrong', 'v_confirmation'],
    401: ['token_invalid'],
    403: ['forbidden', 'role_forbidden'],
    404: ['user_not_found'],
    409: ['last_admin', 'email_taken'],
  })
  async update(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: UpdateUserDto,
    @RequestLang() lang: Lang,
  ) {
    const { user } = await this.account.update(
      caller,
      id,
      {
        name: dto.name,
        email: dto.email,
        password: dto.password,
        currentPassword: dto.current_password,
        noTlp: dto.no_tlp,
        gender: dto.gender,
        role: dto.role,
      },
      lang,
    );
    return ok('update_ok', toUserResponse(user));
  }

  @Delete(':id')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Delete a user (self or admin): every session ends at once and the email can register again',
    description: 'A hard delete: the row and its sessions and link tokens are removed. The last admin cannot be deleted.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiEnvelopeResponse({ status: 200, message: 'delete_ok', type: UserResponseDto, description: 'the user as it was' })
  @ApiErrorResponses({ 400: ['v_uuid'], 401: ['token_invalid'], 403: ['forbidden'], 404: ['user_not_found'], 409: ['last_admin_delete'] })
  async remove(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return ok('delete_ok', toUserResponse(await this.account.remove(caller, id)));
  }

  @Get('email/confirm/:token')
  @Public()
  @LinkPage()
  @ApiOperation({ summary: 'Confirm a new email address (the link sent to it); browsers get a small HTML page' })
  @ApiProduces('application/json', 'text/html')
  @ApiEnvelopeResponse({ status: 200, message: 'email_changed' })
  @ApiErrorResponses({ 400: ['email_change_invalid', 'email_change_expired'], 409: ['email_taken'] })
  async confirmEmail(@Param('token') token: string, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    return linkOutcome(request, response, await this.account.confirmEmailChange(token));
  }
}
