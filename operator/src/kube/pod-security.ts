/**
 * The security context of runtime pods: Pod Security `restricted` (runAsNonRoot with a numeric uid, seccomp
 * RuntimeDefault, no privilege escalation, every capability dropped) plus a read-only root filesystem. The runtime
 * writes only to its model cache (its own volume) and TMPDIR, so /tmp gets an emptyDir. Pure.
 * @module
 */
import type {
  V1PodSecurityContext,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { OperatorConfig } from './operator-config.js';

export const TMP_VOLUME = 'tmp';
export const TMP_PATH = '/tmp';

export function podSecurityContext(config: OperatorConfig): V1PodSecurityContext {
  const { runAsUser, runAsGroup, fsGroup } = config.podSecurity;
  return {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup,
    fsGroup,
    // A large cache claim is chowned on every mount otherwise; skip that when its root already fits.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(config: OperatorConfig): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem: config.podSecurity.readOnlyRootFilesystem,
    runAsNonRoot: true,
  };
}

/** The scratch volume a read-only root needs; kept with a writable root too, so pods look the same. */
export function tmpVolume(config: OperatorConfig): { volume: V1Volume; mount: V1VolumeMount } {
  return {
    volume: { name: TMP_VOLUME, emptyDir: { sizeLimit: config.podSecurity.tmpSizeLimit } },
    mount: { name: TMP_VOLUME, mountPath: TMP_PATH },
  };
}
