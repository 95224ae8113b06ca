import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { translate, MessageKey } from './messages';

interface SuccessDoc {
  status: number;
  message: MessageKey;
  /** The type of each `data` item; omit for `data: null`. */
  type?: Type<unknown>;
  /** Extra top-level properties (token fields, meta). */
  extra?: Record<string, object>;
  description?: string;
}

/** Documents a success answer in the envelope, with `data` as an array of `type`. */
export function ApiEnvelopeResponse(doc: SuccessDoc): MethodDecorator & ClassDecorator {
  const data = doc.type ? { type: 'array', items: { $ref: getSchemaPath(doc.type) } } : { type: 'array', nullable: true, example: null };
  const message = translate(doc.message, 'id');
  return applyDecorators(
    ...(doc.type ? [ApiExtraModels(doc.type)] : []),
    ApiResponse({
      status: doc.status,
      description: doc.description ?? message,
      schema: {
        type: 'object',
        required: ['error', 'message', 'data', ...Object.keys(doc.extra ?? {})],
        properties: {
          error: { type: 'array', nullable: true, example: null, items: { type: 'string' } },
          message: { type: 'string', example: message },
          data,
          ...doc.extra,
        },
      },
    }),
  );
}

/** Documents failure answers: status → the reasons it carries (translated for the example). */
export function ApiErrorResponses(errors: Record<number, MessageKey[]>, summary: MessageKey = 'process_failed') {
  return applyDecorators(
    ...Object.entries(errors).map(([status, reasons]) =>
      ApiResponse({
        status: Number(status),
        description: reasons.map((reason) => translate({ key: reason, params: { field: 'email' } }, 'id')).join(' / '),
        schema: {
          type: 'object',
          properties: {
            error: {
              type: 'array',
              items: { type: 'string' },
              example: reasons.map((reason) => translate({ key: reason, params: { field: 'email', max: 100, values: 'a, b' } }, 'id')),
            },
            message: { type: 'string', example: translate(summary, 'id') },
            data: { type: 'array', nullable: true, example: null },
          },
        },
      }),
    ),
  );
}
