import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway service-account key made for the test (never a real credential): the client signs
 * self-signed JWTs with it and the fake Compute server verifies them with the public half.
 */
export function makeServiceAccount(
  dir: string,
  project: string,
): { keyFile: string; publicKeyPem: string; privateKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const keyFile = join(dir, `sa-${Math.random().toString(36).slice(2, 8)}.json`);
  writeFileSync(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      project_id: project,
      private_key_id: 'test-key-id',
      private_key: privateKey,
      client_email: `continuum-test@${project}.iam.gserviceaccount.com`,
      client_id: '100000000000000000000',
      // Never contacted: with a custom endpoint the client signs JWTs locally.
      token_uri: 'http://127.0.0.1:9/token',
    }),
    { mode: 0o600 },
  );
  return { keyFile, publicKeyPem: publicKey, privateKeyPem: privateKey };
}
