//! `rlab`: throwaway Debian hosts on one Linux machine (systemd-nspawn containers in their own
//! network namespaces, reached through loopback forwarders), for rplay's tests and for users who
//! want to try roles on disposable hosts.
