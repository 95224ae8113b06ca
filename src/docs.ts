import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Swagger UI at /docs, the OpenAPI 3 document at /docs-json. */
export function setupDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Alat Berat user service')
    .setDescription(
      'Register, activate by email, log in, refresh and end sessions, manage accounts. Every JSON answer is ' +
        '`{ error, message, data }`; messages are Indonesian unless `Accept-Language: en`. Every route is also ' +
        'served under `/api/v1`. Access tokens are ES256 JWTs (`typ: at+jwt`); other services configure ' +
        'their verifier from `/.well-known/openid-configuration` (keys at `/.well-known/jwks.json`).',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
