import 'reflect-metadata';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import {
  AuthClientGuard,
  AuthClientModule,
  CurrentUser,
  Public,
  RequireLiveSession,
  Roles,
  type AuthClientModuleOptions,
  type AuthClientUser,
} from '../../libs/auth-client';

/** Routes of a consumer service, one per thing the kit decides. */
@Controller()
class ProbeController {
  @Get('me')
  me(@CurrentUser() user: AuthClientUser) {
    return user;
  }

  @Get('admin')
  @Roles('admin')
  admin(@CurrentUser() user: AuthClientUser) {
    return { id: user.id };
  }

  @Get('open')
  @Public()
  open(@CurrentUser() user?: AuthClientUser) {
    return { user: user ?? null };
  }

  @Get('live')
  @RequireLiveSession()
  live(@CurrentUser() user: AuthClientUser) {
    return { id: user.id };
  }
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface GuardedApp {
  app: INestApplication;
  url: string;
  get(path: string, token?: string, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * A tiny consumer service on real HTTP (Express, 127.0.0.1, a free port) with AuthClientGuard as
 * its APP_GUARD. `viaFactory` configures the kit with forRootAsync instead of forRoot.
 */
export async function startGuardedApp(options: AuthClientModuleOptions, viaFactory = false): Promise<GuardedApp> {
  @Module({
    imports: [viaFactory ? AuthClientModule.forRootAsync({ useFactory: async () => options }) : AuthClientModule.forRoot(options)],
    controllers: [ProbeController],
    providers: [{ provide: APP_GUARD, useClass: AuthClientGuard }],
  })
  class ConsumerModule {}

  const app = await NestFactory.create(ConsumerModule, { logger: false, forceCloseConnections: true });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    async get(path, token, headers = {}) {
      const response = await fetch(`${url}${path}`, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON: keep the text */
      }
      return { status: response.status, body, headers: response.headers };
    },
    close: () => app.close(),
  };
}

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves with the time it took. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
