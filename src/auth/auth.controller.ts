import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  AcceptsForm,
  ApiEnvelopeResponse,
  ApiErrorResponses,
  type AuthUser,
  CurrentUser,
  FailureMessage,
  linkOutcome,
  LinkPage,
  type Lang,
  ok,
  Public,
  RequestLang,
} from '../http';
import { toUserResponse, UserResponseDto } from '../users/dto/user-response.dto';
import { AuthService } from './auth.service';
import { EmailDto, LoginDto, LogoutDto, RefreshDto, RegisterDto, ResetPasswordDto } from './dto/auth.dto';
import { TOKEN_FIELDS } from './dto/token-response';
import { AuthRateLimitGuard } from '../rate-limit/rate-limit.guard';
import { PasswordResetService } from './password-reset.service';

@ApiTags('auth')
@Controller('users')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwordReset: PasswordResetService,
  ) {}

  @Post()
  @Public()
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Register a customer account; an activation email is sent' })
  @ApiEnvelopeResponse({ status: 201, message: 'register_ok', type: UserResponseDto })
  @ApiErrorResponses(
    // A failed registration says "Proses gagal", as the spec does (the default failure message).
    { 400: ['v_required', 'v_email', 'v_password_min', 'v_confirmation'], 409: ['email_taken'], 429: ['too_many_requests'] },
  )
  async register(@Body() dto: RegisterDto, @RequestLang() lang: Lang) {
    const user = await this.auth.register(
      { name: dto.name, email: dto.email, password: dto.password, noTlp: dto.no_tlp ?? null, gender: dto.gender ?? null },
      lang,
    );
    return ok('register_ok', toUserResponse(user));
  }

  @Get('activate/:token')
  @Public()
  @LinkPage()
  @FailureMessage('activation_failed')
  @ApiOperation({ summary: 'Activate an account (the link in the email); browsers get a small HTML page' })
  @ApiProduces('application/json', 'text/html')
  @ApiEnvelopeResponse({
    status: 200,
    message: 'activated',
    description: '"Akun anda telah aktif", or "Akun anda sudah aktif" on a second click',
  })
  @ApiErrorResponses({ 400: ['activation_invalid', 'activation_expired'] }, 'activation_failed')
  async activate(@Param('token') token: string, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    return linkOutcome(request, response, await this.auth.activate(token));
  }

  @Post('activation/resend')
  @Public()
  @HttpCode(202)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Send a fresh activation link (same answer whether or not the email exists)' })
  @ApiEnvelopeResponse({ status: 202, message: 'activation_resent' })
  @ApiErrorResponses({ 400: ['v_required', 'v_email'], 429: ['too_many_requests'], 503: ['database_unavailable'] })
  async resendActivation(@Body() dto: EmailDto, @RequestLang() lang: Lang) {
    await this.auth.resendActivation(dto.email, lang);
    return ok('activation_resent', null);
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
  async login(@Body() dto: LoginDto) {
    const { user, tokens } = await this.auth.login(dto.email, dto.password);
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
  @ApiErrorResponses({ 401: ['token_invalid'], 429: ['too_many_requests'] }, 'refresh_failed')
  async refresh(@Body() dto: RefreshDto, @Req() request: Request) {
    const header = request.headers.authorization;
    // The scheme is case-insensitive (RFC 7235), as on every other route.
    const presented = dto.refresh_token ?? /^bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    const { user, tokens } = await this.auth.refresh(presented ?? '');
    return ok('refresh_ok', toUserResponse(user), { ...tokens });
  }

  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session (or every session with `{ "all": true }`)' })
  @ApiBody({ type: LogoutDto, required: false })
  @ApiEnvelopeResponse({ status: 200, message: 'logout_ok' })
  @ApiErrorResponses({ 401: ['token_invalid'] })
  async logout(@CurrentUser() caller: AuthUser, @Body() dto: LogoutDto) {
    await this.auth.logout(caller.id, caller.sessionId, dto.all === true);
    return ok('logout_ok', null);
  }

  @Post('password/forgot')
  @Public()
  @HttpCode(202)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Email a password reset link (same answer whether or not the email exists)' })
  @ApiEnvelopeResponse({ status: 202, message: 'forgot_ok' })
  @ApiErrorResponses({ 400: ['v_required', 'v_email'], 429: ['too_many_requests'], 503: ['database_unavailable'] })
  async forgotPassword(@Body() dto: EmailDto, @RequestLang() lang: Lang) {
    await this.passwordReset.requestReset(dto.email, lang);
    return ok('forgot_ok', null);
  }

  @Get('password/reset')
  @Public()
  @ApiOperation({ summary: 'The reset form a person opens from the email (when PASSWORD_RESET_URL is unset)' })
  @ApiProduces('text/html')
  @ApiQuery({ name: 'token', required: true })
  resetForm(@Query('token') token: string | undefined, @Res({ passthrough: true }) response: Response, @RequestLang() lang: Lang) {
    response.type('html').setHeader('Cache-Control', 'no-store');
    return this.passwordReset.renderForm(typeof token === 'string' ? token : '', lang);
  }

  @Post('password/reset')
  @Public()
  @LinkPage()
  @AcceptsForm()
  @HttpCode(200)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Set a new password with the token from the reset link; ends every session' })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiEnvelopeResponse({ status: 200, message: 'reset_ok' })
  @ApiErrorResponses({ 400: ['reset_invalid', 'reset_expired', 'v_password_min', 'v_confirmation'], 429: ['too_many_requests'] })
  async resetPassword(@Body() dto: ResetPasswordDto, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    await this.passwordReset.reset(dto.token, dto.password);
    return linkOutcome(request, response, 'reset_ok');
  }
}
