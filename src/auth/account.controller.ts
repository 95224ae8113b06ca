import { Body, Controller, Delete, Get, Param, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  ApiEnvelopeResponse,
  ApiErrorResponses,
  AppError,
  type AuthUser,
  CurrentUser,
  escapeHtml,
  type Lang,
  type MessageKey,
  ok,
  Public,
  RequestLang,
  renderPage,
  translate,
  uuidParam,
} from '../../libs/http';
import { toUserResponse, UserResponseDto } from '../users/dto/user-response.dto';
import { AccountService } from './account.service';
import { UpdateUserDto } from './dto/account.dto';

// Same negotiation as the activation link in auth.controller.ts: a browser gets a page, not JSON.
function wantsHtml(request: Request): boolean {
  return request.accepts(['json', 'html']) === 'html';
}

function linkPage(response: Response, lang: Lang, status: number, message: MessageKey): string {
  response.status(status).type('html');
  return renderPage('Alat Berat', `<h1>${escapeHtml(translate(message, lang))}</h1>`, lang);
}

@ApiTags('users')
@Controller('users')
export class AccountController {
  constructor(private readonly account: AccountService) {}

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
    description: '"Update user berhasil" (when an email change is pending the message says the new address needs its link clicked)',
  })
  @ApiErrorResponses({
    400: ['v_uuid', 'current_password_required', 'current_password_wrong', 'v_confirmation'],
    401: ['token_invalid'],
    403: ['forbidden', 'role_forbidden'],
    404: ['user_not_found'],
    409: ['last_admin', 'email_taken'],
  })
  async update(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() dto: UpdateUserDto, @RequestLang() lang: Lang) {
    const { user, emailChangePending } = await this.account.update(
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
    return ok(emailChangePending ? 'email_change_pending' : 'update_ok', toUserResponse(user));
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
  @ApiOperation({ summary: 'Confirm a new email address (the link sent to it); browsers get a small HTML page' })
  @ApiProduces('application/json', 'text/html')
  @ApiEnvelopeResponse({ status: 200, message: 'email_changed' })
  @ApiErrorResponses({ 400: ['email_change_invalid', 'email_change_expired'], 409: ['email_taken'] })
  async confirmEmail(@Param('token') token: string, @Req() request: Request, @Res({ passthrough: true }) response: Response, @RequestLang() lang: Lang) {
    try {
      const outcome = await this.account.confirmEmailChange(token);
      return wantsHtml(request) ? linkPage(response, lang, 200, outcome) : ok(outcome, null);
    } catch (error) {
      if (error instanceof AppError && wantsHtml(request)) return linkPage(response, lang, error.status, error.reasons[0].key);
      throw error;
    }
  }
}
