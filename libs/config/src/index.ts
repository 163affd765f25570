export { loadConfig, ConfigError, inheritedEnv } from './godel-config';
export type { GodelConfig, ProviderConfig, AuthConfig } from './godel-config';
export { loadGitRemoteConfig } from './git-remote-config';
export type { AgentPoolConfig } from './agent-pool';
export type { GitRemoteConfig } from './git-remote-config';
