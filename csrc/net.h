/* net.h: addresses, CIDR ranges, host names, ports and URLs for the
 * hosts* and ports conditions (the reference is pyaudit/_net.py).
 * Pure C; text is bytes with a length, not NUL-terminated. */
#ifndef PYAUDIT_NET_H
#define PYAUDIT_NET_H

#include <stddef.h>
#include <stdint.h>

/* An address, or a network: version 4 or 6; an IPv4 address is in
 * bytes[0..3].  prefix is the network's length in bits (32 or 128 for a
 * single address). */
typedef struct {
    int version;
    unsigned prefix;
    uint8_t bytes[16];
} pyaudit_address;

/* Parse an IPv4 (four decimal numbers, no leading zeros) or IPv6 address
 * (RFC 4291 text, with an optional dotted IPv4 tail).  1 on success. */
int pyaudit_parse_address(const char *text, size_t n, pyaudit_address *out);

/* A hosts entry: 1 with *address set for an address or CIDR range (no
 * bits set after the prefix), 2 for a host name (ASCII letters, digits,
 * '-' and '_' in dot-separated labels, one trailing dot allowed), 0 when
 * malformed. */
int pyaudit_parse_host_entry(const char *text, size_t n,
                             pyaudit_address *address);

/* Whether address (a single one) lies in network. */
int pyaudit_address_in(const pyaudit_address *address,
                       const pyaudit_address *network);

/* The length of a host name as compared: without one trailing dot. */
size_t pyaudit_host_name_length(const char *name, size_t n);

/* Whether name (n bytes) equals entry (lowercase, entry_n bytes) ignoring
 * ASCII case and a trailing dot of name. */
int pyaudit_host_name_equal(const char *name, size_t n, const char *entry,
                            size_t entry_n);

/* A port written as 1-5 decimal digits, 0-65535; -1 otherwise. */
long pyaudit_parse_port(const char *text, size_t n);

/* The host (*host, *host_n; NULL when none) and port (-1 when none) of a
 * URL's authority; the port defaults by scheme: http 80, https 443, ftp
 * 21. */
void pyaudit_url_endpoint(const char *url, size_t n, const char **host,
                          size_t *host_n, long *port);

#endif /* PYAUDIT_NET_H */
