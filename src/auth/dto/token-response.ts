/** The top-level token fields of the envelope (route 4 and 5), for Swagger. */
export const TOKEN_FIELDS = {
  access_token: { type: 'string', example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiJ9…' },
  refresh_token: { type: 'string', example: 'mV3k0Vd1sQ…' },
  token_type: { type: 'string', example: 'Bearer' },
  expires_in: { type: 'integer', example: 900, description: 'seconds until the access token expires' },
};
