import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  AcceptsForm,
  activationConfirmHtml,
  ApiEnvelopeResponse,
  asPage,
  BrowserLink,
  FormPage,
  isJsonClient,
  linkPageHtml,
  resetFormHtml,
  ApiErrorResponses,
  type AuthUser,
  type ClientInfo,
  CurrentUser,
  FailureMessage,
  linkOutcome,
  LinkPage,
  type Lang,
  ok,
  Public,
  RequestClient,
  RequestLang,
  type HttpReply,
  type HttpRequest,
} from '../http';
import { toUserResponse, UserResponseDto } from '../users/dto/user-response.dto';
import { AuthService } from './auth.service';
import { EmailDto, LoginDto, LogoutDto, RefreshDto, RegisterDto, ResetPasswordDto } from './dto/auth.dto';
import { TOKEN_FIELDS } from './dto/token-response';
import { AuthRateLimitGuard } from '../rate-limit/rate-limit.guard';
import { PasswordResetService } from './password-reset.service';
import { ROUTE_LIST_REGISTER_PATH, RouteListRegisterBody } from './route-list-register.interceptor';

@ApiTags('auth')
@Controller('users')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwordReset: PasswordResetService,
  ) {}

  // `register`: the route list's path for route 1, where its body may leave out `confirmation`.
  @Post(['', ROUTE_LIST_REGISTER_PATH])
  @Public()
  @UseGuards(AuthRateLimitGuard)
  @UseInterceptors(RouteListRegisterBody)
  @ApiOperation({ summary: 'Register a customer account; an activation email is sent' })
  @ApiEnvelopeResponse({ status: 201, message: 'register_ok', type: UserResponseDto })
  @ApiErrorResponses(
    // A failed registration says "Proses gagal", as the spec does (the default failure message).
    { 400: ['v_required', 'v_email', 'v_password_min', 'v_confirmation'], 409: ['email_taken'], 429: ['too_many_requests'] },
  )
  async register(@Body() dto: RegisterDto, @RequestLang() lang: Lang, @RequestClient() client: ClientInfo) {
    const user = await this.auth.register(
      { name: dto.name, email: dto.email, password: dto.password, noTlp: dto.no_tlp ?? null, gender: dto.gender ?? null },
      lang,
      client,
    );
    return ok('register_ok', toUserResponse(user));
  }

  @Get('activate/:token')
  @Public()
  @BrowserLink()
  @FailureMessage('activation_failed')
  @ApiOperation({
    summary: 'The activation link: a JSON client activates; a browser gets a page with an "Aktifkan akun" button',
    description:
      'With `Accept: application/json` this activates the account (the original spec’s client). Every other client ' +
      '(a browser, a mail scanner, `Accept: */*`, no Accept) and every HEAD changes nothing: it gets a small HTML page ' +
      'that says what the link is for, with one button that posts to `POST /api/users/activate/{token}`.',
  })
  @ApiProduces('application/json', 'text/html')
  @ApiEnvelopeResponse({
    status: 200,
    message: 'activated',
    description: '"Akun anda telah aktif", or "Akun anda sudah aktif" on a second click; browsers get the confirmation page',
  })
  @ApiErrorResponses({ 400: ['activation_invalid', 'activation_expired'] }, 'activation_failed')
  async activate(
    @Param('token') token: string,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpReply,
    @RequestClient() client: ClientInfo,
  ) {
    if (request.method === 'GET' && isJsonClient(request)) return ok(await this.auth.activate(token, client), null);
    // Mail scanners open links (a HEAD is enough): looking at the link must not use it up.
    const state = await this.auth.checkActivation(token);
    return asPage(response, state === 'pending' ? activationConfirmHtml(request) : linkPageHtml(request, 'already_active'));
  }

  @Post('activate/:token')
  @Public()
  @LinkPage()
  @AcceptsForm()
  @HttpCode(200)
  @FailureMessage('activation_failed')
  @ApiOperation({
    summary: 'Activate an account (the button of the activation page); never logs anyone in',
    description: 'A browser’s form post gets the outcome as a page, with a link to `LOGIN_URL` when that is set.',
  })
  @ApiProduces('application/json', 'text/html')
  @ApiEnvelopeResponse({
    status: 200,
    message: 'activated',
    description: '"Akun anda telah aktif", or "Akun anda sudah aktif" when the link was used before',
  })
  @ApiErrorResponses({ 400: ['activation_invalid', 'activation_expired'] }, 'activation_failed')
  async confirmActivation(
    @Param('token') token: string,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpReply,
    @RequestClient() client: ClientInfo,
  ) {
    return linkOutcome(request, response, await this.auth.activate(token, client));
  }

  @Post('activation/resend')
  @Public()
  @LinkPage()
  @AcceptsForm()
  @HttpCode(202)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Send a fresh activation link (same answer whether or not the email exists)' })
  @ApiEnvelopeResponse({ status: 202, message: 'activation_resent' })
  @ApiErrorResponses({ 400: ['v_required', 'v_email'], 429: ['too_many_requests'], 503: ['database_unavailable'] })
  async resendActivation(
    @Body() dto: EmailDto,
    @RequestLang() lang: Lang,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpReply,
  ) {
    await this.auth.resendActivation(dto.email, lang);
    return linkOutcome(request, response, 'activation_resent');
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseGuards(AuthRateLimitGuard)
  @FailureMessage('login_failed')
  @ApiOperation({ summary: 'Log in: the user plus an access and a refresh token' })
  @ApiEnvelopeResponse({ status: 200, message: 'login_ok', type: UserResponseDto, extra: TOKEN_FIELDS })
  @ApiErrorResponses(
    { 400: ['v_required'], 401: ['invalid_credentials'], 403: ['not_activated'], 429: ['too_many_requests', 'too_many_login_failures'] },
    'login_failed',
  )
  async login(@Body() dto: LoginDto, @RequestClient() client: ClientInfo) {
    const { user, tokens } = await this.auth.login(dto.email, dto.password, client);
    return ok('login_ok', toUserResponse(user), { ...tokens });
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseGuards(AuthRateLimitGuard)
  @FailureMessage('refresh_failed')
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair (rotation)',
    description: 'Send `{refresh_token}` in the body, or `Authorization: Bearer <refresh_token>`. The used token stops working.',
  })
  @ApiEnvelopeResponse({ status: 200, message: 'refresh_ok', type: UserResponseDto, extra: TOKEN_FIELDS })
  @ApiErrorResponses({ 400: ['v_string'], 401: ['token_invalid'], 429: ['too_many_requests'] }, 'refresh_failed')
  async refresh(@Body() dto: RefreshDto, @Req() request: HttpRequest, @RequestClient() client: ClientInfo) {
    const header = request.headers.authorization;
    // The scheme is case-insensitive (RFC 7235), as on every other route.
    const presented = dto.refresh_token ?? /^bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    const { user, tokens } = await this.auth.refresh(presented ?? '', client);
    return ok('refresh_ok', toUserResponse(user), { ...tokens });
  }

  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session (or every session with `{ "all": true }`)' })
  @ApiBody({ type: LogoutDto, required: false })
  @ApiEnvelopeResponse({ status: 200, message: 'logout_ok' })
  @ApiErrorResponses({ 400: ['v_boolean', 'v_uuid'], 401: ['token_invalid'], 403: ['forbidden'] })
  async logout(@CurrentUser() caller: AuthUser, @Body() dto: LogoutDto, @RequestClient() client: ClientInfo) {
    await this.auth.assertOwnLogoutBody(caller.id, { token: dto.token, userId: dto.user_id });
    await this.auth.logout(caller.id, caller.sessionId, dto.all === true, client);
    return ok('logout_ok', null);
  }

  @Post('password/forgot')
  @Public()
  @LinkPage()
  @AcceptsForm()
  @HttpCode(202)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Email a password reset link (same answer whether or not the email exists)' })
  @ApiEnvelopeResponse({ status: 202, message: 'forgot_ok' })
  @ApiErrorResponses({ 400: ['v_required', 'v_email'], 429: ['too_many_requests'], 503: ['database_unavailable'] })
  async forgotPassword(
    @Body() dto: EmailDto,
    @RequestLang() lang: Lang,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpReply,
  ) {
    await this.passwordReset.requestReset(dto.email, lang);
    return linkOutcome(request, response, 'forgot_ok');
  }

  @Get('password/reset')
  @Public()
  @BrowserLink()
  @ApiOperation({ summary: 'The reset form a person opens from the email (when PASSWORD_RESET_URL is unset)' })
  @ApiProduces('text/html')
  @ApiQuery({ name: 'token', required: true })
  async resetForm(@Query('token') token: string | undefined, @Req() request: HttpRequest, @Res({ passthrough: true }) response: HttpReply) {
    const presented = typeof token === 'string' ? token : '';
    // An unknown or expired link says so at once, with a way to ask for a new one; the look leaves it unused.
    await this.passwordReset.checkLink(presented);
    return asPage(response, resetFormHtml(request, presented));
  }

  @Post('password/reset')
  @Public()
  @LinkPage()
  @AcceptsForm()
  @FormPage('reset')
  @HttpCode(200)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Set a new password with the token from the reset link; ends every session' })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiEnvelopeResponse({ status: 200, message: 'reset_ok' })
  @ApiErrorResponses({ 400: ['reset_invalid', 'reset_expired', 'v_password_min', 'v_confirmation'], 429: ['too_many_requests'] })
  async resetPassword(
    @Body() dto: ResetPasswordDto,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpReply,
    @RequestClient() client: ClientInfo,
  ) {
    await this.passwordReset.reset(dto.token, dto.password, client);
    return linkOutcome(request, response, 'reset_ok');
  }
}
