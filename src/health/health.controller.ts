import { Controller, Get, HttpStatus } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, ApiErrorResponses, AppError, ok, Public } from '../http';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and database reachability' })
  @ApiEnvelopeResponse({ status: 200, message: 'health_ok', description: 'data: [{ status: "ok", database: "up" }]' })
  @ApiErrorResponses({ 503: ['database_unavailable'] })
  async check() {
    try {
      await this.health.check([() => this.database.pingCheck('database', { timeout: 2000 })]);
    } catch {
      throw new AppError(HttpStatus.SERVICE_UNAVAILABLE, 'database_unavailable', undefined, {}, [{ status: 'error', database: 'down' }]);
    }
    return ok('health_ok', { status: 'ok', database: 'up' });
  }
}
