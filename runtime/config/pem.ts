/**
 * Checks TLS material at start-up with node:crypto, so that a CA, certificate or key that TLS
 * could never use fails when the configuration is read, naming the setting, instead of at the
 * first connection. The reasons returned never contain the PEM text (a key is a secret).
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";

const certificateBlock = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Why `pem` is not a usable certificate (or CA bundle: every certificate in it), or undefined. */
export function certificateProblem(pem: string): string | undefined {
  const blocks = pem.match(certificateBlock) ?? [];
  if (blocks.length === 0) return "no -----BEGIN CERTIFICATE----- block";
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return blocks.length === 1 ? "a certificate that cannot be parsed" : `certificate ${i + 1} cannot be parsed`;
    }
  }
  return undefined;
}

/** Why `pem` is not a usable private key, or undefined. */
export function privateKeyProblem(pem: string): string | undefined {
  const parsed = parsePrivateKey(pem);
  return typeof parsed === "string" ? parsed : undefined;
}

/** Why the key does not go with the certificate (the first one in `certPem`), or undefined. */
export function keyPairProblem(certPem: string, keyPem: string): string | undefined {
  const first = certPem.match(certificateBlock)?.[0];
  const key = parsePrivateKey(keyPem);
  if (first === undefined || typeof key === "string") return undefined; // reported on its own
  try {
    return new X509Certificate(first).checkPrivateKey(key) ? undefined : "the key does not belong to the certificate";
  } catch {
    return "the key does not belong to the certificate";
  }
}

function parsePrivateKey(pem: string): KeyObject | string {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return "no -----BEGIN ... PRIVATE KEY----- block";
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ERR_MISSING_PASSPHRASE" || /ENCRYPTED/.test(pem)) {
      return "an encrypted private key, which is not supported: give the key unencrypted";
    }
    return "a private key that cannot be parsed";
  }
}
