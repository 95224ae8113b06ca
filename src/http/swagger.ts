import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { translate, MessageKey, type MessageRef } from './messages';

interface SuccessDoc {
  status: number;
  message: MessageKey;
  /** The type of each `data` item; omit for `data: null`. */
  type?: Type<unknown>;
  /** How many items `data` can hold (1 unless a list says otherwise). */
  maxItems?: number;
  /** Extra top-level properties (token fields, meta). */
  extra?: Record<string, object>;
  description?: string;
}

/** The envelope's `error` and `message` as the schemas document them: bounded, like every field. */
const ERROR_LIST = { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', maxLength: 300 } };
const MESSAGE = { type: 'string', maxLength: 200 };
const NULL_DATA = { type: 'array', nullable: true, maxItems: 0, items: { type: 'object' }, description: 'always null', example: null };

/** The failure envelope every error answer shares (registered as a component by docs.ts). */
export const ERROR_ENVELOPE_SCHEMA = {
  type: 'object',
  required: ['error', 'message', 'data'],
  additionalProperties: false,
  properties: {
    error: { ...ERROR_LIST, description: 'one human-readable reason per failing field or cause', example: ['Email harus diisi'] },
    message: { ...MESSAGE, description: 'what failed: "Proses gagal", "Login gagal", …', example: 'Proses gagal' },
    data: {
      type: 'array',
      nullable: true,
      maxItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { status: { type: 'string', enum: ['error'] }, database: { type: 'string', enum: ['down'] } },
      },
      description: 'null, except for the health check (`[{ status, database }]`)',
      example: null,
    },
  },
};

/** Documents a success answer in the envelope, with `data` as an array of `type`. */
export function ApiEnvelopeResponse(doc: SuccessDoc): MethodDecorator & ClassDecorator {
  const data = doc.type ? { type: 'array', maxItems: doc.maxItems ?? 1, items: { $ref: getSchemaPath(doc.type) } } : NULL_DATA;
  const message = translate(doc.message, 'id');
  return applyDecorators(
    ...(doc.type ? [ApiExtraModels(doc.type)] : []),
    ApiResponse({
      status: doc.status,
      description: doc.description ?? `${message} (en: ${translate(doc.message, 'en')})`,
      schema: {
        type: 'object',
        required: ['error', 'message', 'data', ...Object.keys(doc.extra ?? {})],
        additionalProperties: false,
        properties: {
          error: {
            type: 'array',
            nullable: true,
            maxItems: 0,
            items: { type: 'string', maxLength: 300 },
            description: 'null on success',
            example: null,
          },
          message: { ...MESSAGE, example: message },
          data,
          ...doc.extra,
        },
      },
    }),
  );
}

const EXAMPLE_PARAMS = { field: 'email', max: 100, values: 'Laki-laki, Perempuan', name: 'role' };

/** Documents failure answers: status → the reasons it carries (translated for the example). */
export function ApiErrorResponses(errors: Record<number, MessageKey[]>, summary: MessageKey = 'process_failed') {
  const say = (reason: MessageKey, lang: 'id' | 'en') => translate({ key: reason, params: EXAMPLE_PARAMS } as MessageRef, lang);
  return applyDecorators(
    ...Object.entries(errors).map(([status, reasons]) =>
      ApiResponse({
        status: Number(status),
        description: reasons.map((reason) => `"${say(reason, 'id')}" (en: "${say(reason, 'en')}")`).join(' / '),
        schema: {
          allOf: [{ $ref: '#/components/schemas/ErrorEnvelope' }],
          example: { error: [say(reasons[0], 'id')], message: translate(summary, 'id'), data: null },
        },
      }),
    ),
  );
}
