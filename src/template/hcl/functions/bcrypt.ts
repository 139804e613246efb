// bcrypt() as Packer has it (golang.org/x/crypto/bcrypt): `$2a$` hashes with a random salt. The
// hashing is bcryptjs's; it writes `$2b$` salts by default, so the salt is made here.
import { randomBytes } from "node:crypto";
import { encodeBase64, hashSync } from "bcryptjs";

/** `$2a$<cost>$<salt><hash>`. `salt` (22 characters of bcrypt's base64) is for tests only. */
export function bcryptHash(password: string, cost: number, salt?: string): string {
  const text = salt ?? encodeBase64(randomBytes(16), 16);
  return hashSync(password, `$2a$${String(cost).padStart(2, "0")}$${text}`);
}
