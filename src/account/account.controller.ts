import { Body, Controller, Delete, Get, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import {
  ApiEnvelopeResponse,
  ApiErrorResponses,
  type AuthUser,
  type ClientInfo,
  CurrentUser,
  linkOutcome,
  LinkPage,
  ok,
  Public,
  RequestClient,
  Roles,
  uuidParam,
  type HttpReply,
  type HttpRequest,
} from '../http';
import { toUserResponse, UserResponseDto } from '../users/dto/user-response.dto';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AccountService } from './account.service';
import { EventResponseDto, ListEventsQueryDto, toEventResponse } from './dto/events.dto';
import { ListUsersQueryDto } from './dto/list-users.dto';
import { SessionResponseDto, toSessionResponse } from './dto/session-response.dto';
import { UpdateUserDto } from './dto/update-user.dto';

const PAGE_META = {
  meta: {
    type: 'object',
    required: ['page', 'limit', 'total'],
    additionalProperties: false,
    properties: {
      page: { type: 'integer', format: 'int32', minimum: 1, maximum: 2147483647, example: 1 },
      limit: { type: 'integer', format: 'int32', minimum: 1, maximum: 100, example: 20, description: 'after clamping to 100' },
      total: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        maximum: 9007199254740991,
        example: 57,
        description: 'users matching the search',
      },
    },
  },
};

const EVENTS_PAGE_META = {
  meta: {
    ...PAGE_META.meta,
    properties: {
      ...PAGE_META.meta.properties,
      total: { ...PAGE_META.meta.properties.total, example: 12, description: 'events of this user, over all pages' },
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

  // `profile`: the route list's "getProfile", an alias of route 7.
  @Get(['me', 'profile'])
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller’s own user' })
  @ApiEnvelopeResponse({ status: 200, message: 'get_user_ok', type: UserResponseDto })
  @ApiErrorResponses({ 401: ['token_invalid'] })
  async me(@CurrentUser() caller: AuthUser<User>) {
    return ok('get_user_ok', toUserResponse(caller.user ?? (await this.users.getById(caller.id))));
  }

  @Get('me/sessions')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'My sessions ("my devices"): the caller’s live sessions, newest first',
    description:
      'Every login is a session; `current` marks the one of the access token used. `last_used_at` moves on refresh. ' +
      'At most the 100 newest.',
  })
  @ApiEnvelopeResponse({ status: 200, message: 'list_sessions_ok', type: SessionResponseDto, maxItems: 100 })
  @ApiErrorResponses({ 401: ['token_invalid'] })
  async listMySessions(@CurrentUser() caller: AuthUser) {
    const sessions = await this.account.listSessions(caller);
    return ok(
      'list_sessions_ok',
      sessions.map((session) => toSessionResponse(session, caller.sessionId)),
    );
  }

  @Delete('me/sessions/:id')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'End one of my sessions at once (log a device out)',
    description: 'Its refresh token stops working and its access tokens get 401 from the next request. Ending `current` is a logout.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'a session id from GET /api/users/me/sessions' })
  @ApiEnvelopeResponse({ status: 200, message: 'session_ended' })
  @ApiErrorResponses({ 400: ['v_uuid'], 401: ['token_invalid'], 404: ['session_not_found'] })
  async endMySession(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('session_id')) id: string,
    @RequestClient() client: ClientInfo,
  ) {
    await this.account.endSession(caller, id, client);
    return ok('session_ended', null);
  }

  @Get()
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List users (admin): newest first, paged, optional search over name and email' })
  @ApiEnvelopeResponse({ status: 200, message: 'list_users_ok', type: UserResponseDto, maxItems: 100, extra: PAGE_META })
  @ApiErrorResponses({ 400: ['v_int'], 401: ['token_invalid'], 403: ['forbidden'] })
  async list(@Query() query: ListUsersQueryDto) {
    const { users, ...meta } = await this.users.list(query);
    return ok('list_users_ok', users.map(toUserResponse), { meta });
  }

  // `me` wins over `:id` whatever the order (the router prefers a static segment); "me" is not a uuid either.
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

  @Get(':id/events')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'A user’s security history from the audit log (self or admin): newest first, paged',
    description:
      'Registrations, activations, logins and failed logins, ended sessions, password, email, role and profile changes, ' +
      'with the client address and user agent of the request that caused them. The same events other services receive.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiEnvelopeResponse({ status: 200, message: 'list_events_ok', type: EventResponseDto, extra: EVENTS_PAGE_META })
  @ApiErrorResponses({ 400: ['v_uuid', 'v_int'], 401: ['token_invalid'], 403: ['forbidden'], 404: ['user_not_found'] })
  async events(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Query() query: ListEventsQueryDto) {
    const { events, ...meta } = await this.account.history(caller, id, query.page, query.limit);
    return ok('list_events_ok', events.map(toEventResponse), { meta });
  }

  // `PUT /api/users` (no id): the route list's self-update, route 10 on the caller's own account.
  @Put([':id', ''])
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
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
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
    // Not email_taken: a taken address answers like a free one (its owner gets no link).
    409: ['last_admin'],
    // current_password shares the failed-login counter (LOGIN_FAILURES_LIMIT).
    429: ['too_many_login_failures'],
  })
  async update(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('id', { optional: true })) id: string | undefined,
    @Body() dto: UpdateUserDto,
    @RequestClient() client: ClientInfo,
  ) {
    const { user } = await this.account.update(
      caller,
      id ?? caller.id,
      {
        name: dto.name,
        email: dto.email,
        password: dto.password,
        currentPassword: dto.current_password,
        noTlp: dto.no_tlp,
        gender: dto.gender,
        role: dto.role,
      },
      client,
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
  async remove(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @RequestClient() client: ClientInfo) {
    return ok('delete_ok', toUserResponse(await this.account.remove(caller, id, client)));
  }

  @Get('email/confirm/:token')
  @Public()
  @LinkPage()
  @ApiOperation({ summary: 'Confirm a new email address (the link sent to it); browsers get a small HTML page' })
  @ApiProduces('application/json', 'text/html')
  @ApiEnvelopeResponse({ status: 200, message: 'email_changed' })
  @ApiErrorResponses({ 400: ['email_change_invalid', 'email_change_expired'], 409: ['email_taken'] })
  async confirmEmail(
    @Param('token') token: string,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpReply,
    @RequestClient() client: ClientInfo,
  ) {
    return linkOutcome(request, response, await this.account.confirmEmailChange(token, client));
  }
}
