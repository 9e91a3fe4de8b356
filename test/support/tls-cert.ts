/**
 * A self-signed certificate for 127.0.0.1, made at test time with the openssl command line
 * (node:crypto has no X.509 writer), for a TLS listener that a test peer then trusts by name.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface TestCertificate {
  keyFile: string;
  certFile: string;
  /** Key and certificate in one file, as baresip's sip_certificate wants them. */
  bundleFile: string;
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).error === undefined;
}

/** Who the certificate is for: 127.0.0.1 by default, or the XMPP domains a Prosody would serve. */
export interface CertificateSubject {
  commonName: string;
  /** openssl's subjectAltName value, e.g. `DNS:meet.test,DNS:auth.meet.test`. */
  altNames: string;
}

/** Writes key.pem, cert.pem and bundle.pem into `dir`. */
export function selfSignedCertificate(dir: string, subject: CertificateSubject = { commonName: '127.0.0.1', altNames: 'IP:127.0.0.1' }): TestCertificate {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const bundleFile = join(dir, 'bundle.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${subject.commonName}`, '-addext', `subjectAltName=${subject.altNames}`],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl could not make a certificate: ${r.stderr}`);
  const bundle = spawnSync('sh', ['-c', `cat "${keyFile}" "${certFile}" > "${bundleFile}"`]);
  if (bundle.status !== 0) throw new Error('could not write the key+certificate bundle');
  return { keyFile, certFile, bundleFile };
}
