import 'reflect-metadata';
import { createRequire } from 'node:module';
import type { ArgumentMetadata } from '@nestjs/common';
import { TransformationType } from 'class-transformer';
import { getMetadataStorage, IsOptional, IsString } from 'class-validator';
import fc from 'fast-check';
import { RefreshDto } from '../auth/dto/auth.dto';
import { AppError } from './app-error';
import { ContractValidationPipe, optionalStringBodies, OptionalStringsBody } from './validation';

// class-transformer's registry of its decorators (not exported from its index; its types are).
const { defaultMetadataStorage } = createRequire(__filename)(
  'class-transformer/cjs/storage',
) as typeof import('class-transformer/types/storage');

// The same field, once through the shortcut and once through class-validator alone.
@OptionalStringsBody('token')
class Shortcut {
  @IsOptional()
  @IsString()
  token?: string;
}

class Validated {
  @IsOptional()
  @IsString()
  token?: string;
}

const body = (metatype: new () => object): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });

/** What a client would see: the fields of the DTO, or the messages of the 400. */
async function outcome(pipe: ContractValidationPipe, value: unknown, metatype: new () => object) {
  try {
    const dto = (await pipe.transform(value, body(metatype))) as object;
    return { ok: true, instance: dto instanceof metatype, fields: { ...dto } };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { ok: false, status: error.status, reasons: error.reasons };
  }
}

describe('ContractValidationPipe: bodies of optional strings', () => {
  const pipe = new ContractValidationPipe();

  it('answers every body as class-validator does, with or without the shortcut', async () => {
    const samples: unknown[] = [
      {},
      { token: 'abc' },
      { token: '' },
      { token: 1 },
      { token: null },
      { token: ['abc'] },
      { token: { nested: 'x' } },
      { other: 'x' },
      { token: 'abc', other: 'x' },
      JSON.parse('{"__proto__": "x"}'),
      JSON.parse('{"__proto__": {"token": "x"}}'),
      JSON.parse('{"constructor": "x"}'),
      Object.create({ token: 'inherited' }),
      Object.assign(Object.create(null), { token: 'abc' }),
      [],
      ['abc'],
      'abc',
      42,
      null,
      undefined,
    ];
    for (const value of samples) {
      expect(await outcome(pipe, value, Shortcut), JSON.stringify(value)).toEqual(await outcome(pipe, value, Validated));
    }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ token: fc.jsonValue() }, { requiredKeys: [] }),
          fc.dictionary(fc.constantFrom('token', 'other', '__proto__'), fc.jsonValue()),
        ),
        async (value) => {
          const plain = JSON.parse(JSON.stringify(value ?? null)) as unknown;
          expect(await outcome(pipe, plain, Shortcut)).toEqual(await outcome(pipe, plain, Validated));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes the shortcut for a body it can pass as it is, and class-validator for anything else', async () => {
    const strict = (pipe as unknown as { strict: { transform: () => unknown } }).strict;
    const full = vi.spyOn(strict, 'transform');
    const dto = await pipe.transform({ token: 'abc' }, body(Shortcut));
    expect(dto).toBeInstanceOf(Shortcut);
    expect(dto).toEqual({ token: 'abc' });
    await pipe.transform({}, body(Shortcut));
    expect(full).not.toHaveBeenCalled();
    await expect(pipe.transform({ token: 7 }, body(Shortcut))).rejects.toBeInstanceOf(AppError);
    await pipe.transform({ token: 'abc' }, body(Validated));
    expect(full).toHaveBeenCalledTimes(2);
    full.mockRestore();
  });

  it('is used only on classes whose registered fields are IsOptional and IsString and nothing else', () => {
    // Nor anything class-transformer would do to the body: the shortcut copies it as it is.
    for (const target of optionalStringBodies().keys()) {
      const name = (target as { name: string }).name;
      const cls = target as new () => object;
      expect(defaultMetadataStorage.getStrategy(cls), name).toBe('none');
      expect([...defaultMetadataStorage.getExposedMetadatas(cls), ...defaultMetadataStorage.getExcludedMetadatas(cls)], name).toEqual([]);
      for (const field of optionalStringBodies().get(target)!) {
        expect(defaultMetadataStorage.findTransformMetadatas(cls, field, TransformationType.PLAIN_TO_CLASS), `${name}.${field}`).toEqual(
          [],
        );
        expect(defaultMetadataStorage.findTypeMetadata(cls, field), `${name}.${field}`).toBeUndefined();
      }
    }
    expect(optionalStringBodies().get(RefreshDto)).toEqual(['refresh_token']);
    for (const [target, fields] of optionalStringBodies()) {
      const metadata = getMetadataStorage().getTargetValidationMetadatas(target as new () => object, '', true, false);
      for (const field of fields) {
        const constraints = metadata
          .filter((entry) => entry.propertyName === field)
          .map((entry) => (entry.type === 'customValidation' ? entry.name : entry.type))
          .sort();
        expect(constraints, `${(target as { name: string }).name}.${field}`).toEqual(['conditionalValidation', 'isString']);
      }
      // The shortcut refuses any field it does not list, so a class with more fields would still be
      // validated in full, but it would never take the shortcut: a listing mistake, caught here.
      expect(new Set(metadata.map((entry) => entry.propertyName))).toEqual(new Set(fields));
    }
  });
});
