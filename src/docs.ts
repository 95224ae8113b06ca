import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Swagger UI at /docs, the OpenAPI 3 document at /docs-json. */
export function setupDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Alat Berat user service')
    .setDescription(
      'Register, activate by email, log in, refresh and end sessions, manage accounts. Every JSON answer is ' +
        '`{ error, message, data }`; messages are Indonesian unless `Accept-Language: en`. Every route is also ' +
        'served under `/api/v1`. Access tokens are ES256 JWTs; their public key is at `/.well-known/jwks.json`.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  // A factory: the document is built on the first /docs or /docs-json request, not at every start.
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
