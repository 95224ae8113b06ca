import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { HttpMetricsHooks } from './http-metrics';
import { MetricsServer } from './metrics.server';
import { MetricsService } from './metrics.service';

/** What METRICS_PORT switches on: the hooks that time requests and count logins, the server. */
@Module({
  providers: [MetricsService, MetricsServer, HttpMetricsHooks],
  exports: [MetricsService, MetricsServer],
})
class EnabledMetricsModule {}

/**
 * Prometheus metrics on METRICS_PORT: request rate and latency per route, login outcomes, outbox
 * backlog, database pool use, and the process's own figures. With METRICS_PORT unset it adds
 * nothing: no hook, no server, no cost per request.
 */
@Module({})
export class MetricsModule {
  static register(config: AppConfig): DynamicModule {
    if (config.metrics.port === undefined) return { module: MetricsModule };
    return { module: MetricsModule, imports: [EnabledMetricsModule], exports: [EnabledMetricsModule] };
  }
}
