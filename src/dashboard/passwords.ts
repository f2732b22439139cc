// Password hashing: argon2id through @node-rs/argon2 (prebuilt N-API binaries shipped as npm optional
// dependencies, so the install downloads nothing else). Parameters are the library's defaults (OWASP's
// m=19 MiB, t=2, p=1), stored inside the PHC string, so they can change later without breaking old hashes.
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Algorithm.Argon2id (a const enum in the typings, so spelled as its value). */
const ARGON2ID = 2;

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

/** A hash of a random password: verified against when the email is unknown, so timing says nothing. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(randomBytes(16).toString('hex')));
}

/** 20 characters from an unambiguous alphabet (the sandbox's generated admin password). */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return [...randomBytes(20)].map((b) => alphabet[b % alphabet.length]).join('');
}
