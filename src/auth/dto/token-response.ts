/** The top-level token fields of the envelope (route 4 and 5), for Swagger. */
export const TOKEN_FIELDS = {
  access_token: {
    type: 'string',
    maxLength: 2048,
    pattern: '^[\\w-]+\\.[\\w-]+\\.[\\w-]+$',
    description: 'ES256 JWT; send as `Authorization: Bearer …`',
    example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
  },
  refresh_token: {
    type: 'string',
    maxLength: 256,
    pattern: '^[\\w-]+$',
    description: 'opaque; rotates on every refresh',
    example: 'mV3k0Vd1sQ8yJ2pX5rT7uW9zA1cE3gI5kM7oQ9sU1wY',
  },
  token_type: { type: 'string', enum: ['Bearer'], example: 'Bearer' },
  expires_in: {
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 31536000,
    example: 900,
    description: 'seconds until the access token expires',
  },
};
