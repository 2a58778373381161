/* net.c: addresses, CIDR ranges, host names, ports and URLs (see net.h). */
#include "net.h"

#include <string.h>

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The value of 1 to max_digits decimal digits; -1 if text is not that. */
static long
decimal(const char *text, size_t n, size_t max_digits)
{
    if (n == 0 || n > max_digits) {
        return -1;
    }
    long value = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(text[i])) {
            return -1;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

/* A decimal number of 1-3 digits without a leading zero; -1 if not. */
static long
small_decimal(const char *text, size_t n)
{
    return n > 1 && text[0] == '0' ? -1 : decimal(text, n, 3);
}

static int
parse_ipv4(const char *text, size_t n, uint8_t *out)
{
    size_t start = 0;
    for (int part = 0; part < 4; part++) {
        size_t end = start;
        while (end < n && text[end] != '.') {
            end++;
        }
        if ((part < 3) != (end < n)) {
            return 0;           /* not exactly four parts */
        }
        long value = small_decimal(text + start, end - start);
        if (value < 0 || value > 255) {
            return 0;
        }
        out[part] = (uint8_t)value;
        start = end + 1;
    }
    return 1;
}

static int
hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The 16-bit words of colon-separated groups (n may be 0) into words;
 * returns how many, or -1. */
static int
parse_words(const char *text, size_t n, int may_end_in_ipv4,
            unsigned *words)
{
    int count = 0;
    size_t start = 0;
    if (n == 0) {
        return 0;
    }
    for (;;) {
        size_t end = start;
        while (end < n && text[end] != ':') {
            end++;
        }
        int last = end == n;
        const char *group = text + start;
        size_t len = end - start;
        if (last && may_end_in_ipv4 && memchr(group, '.', len) != NULL) {
            uint8_t v4[4];
            if (count > 6 || !parse_ipv4(group, len, v4)) {
                return -1;
            }
            words[count++] = (unsigned)(v4[0] << 8 | v4[1]);
            words[count++] = (unsigned)(v4[2] << 8 | v4[3]);
        }
        else {
            if (len == 0 || len > 4 || count >= 8) {
                return -1;
            }
            unsigned word = 0;
            for (size_t i = 0; i < len; i++) {
                int v = hex_value(group[i]);
                if (v < 0) {
                    return -1;
                }
                word = word * 16 + (unsigned)v;
            }
            words[count++] = word;
        }
        if (last) {
            return count;
        }
        start = end + 1;
    }
}

static int
parse_ipv6(const char *text, size_t n, uint8_t *out)
{
    unsigned head[8], tail[8], words[8] = {0};
    size_t gap = n;
    for (size_t i = 0; i + 1 < n; i++) {
        if (text[i] == ':' && text[i + 1] == ':') {
            gap = i;
            break;
        }
    }
    int has_gap = gap < n;
    int nhead = parse_words(text, has_gap ? gap : n, !has_gap, head);
    int ntail = 0;
    if (has_gap) {
        const char *rest = text + gap + 2;
        size_t rest_n = n - gap - 2;
        for (size_t i = 0; i + 1 < rest_n; i++) {
            if (rest[i] == ':' && rest[i + 1] == ':') {
                return 0;
            }
        }
        ntail = parse_words(rest, rest_n, 1, tail);
    }
    if (nhead < 0 || ntail < 0) {
        return 0;
    }
    if (has_gap ? nhead + ntail > 7 : nhead != 8) {
        return 0;
    }
    for (int i = 0; i < nhead; i++) {
        words[i] = head[i];
    }
    for (int i = 0; i < ntail; i++) {
        words[8 - ntail + i] = tail[i];
    }
    for (int i = 0; i < 8; i++) {
        out[2 * i] = (uint8_t)(words[i] >> 8);
        out[2 * i + 1] = (uint8_t)(words[i] & 0xFF);
    }
    return 1;
}

int
pyaudit_parse_address(const char *text, size_t n, pyaudit_address *out)
{
    memset(out, 0, sizeof(*out));
    if (parse_ipv4(text, n, out->bytes)) {
        out->version = 4;
        out->prefix = 32;
        return 1;
    }
    if (parse_ipv6(text, n, out->bytes)) {
        out->version = 6;
        out->prefix = 128;
        return 1;
    }
    return 0;
}

/* Whether the bits of a after the first prefix bits are all zero. */
static int
host_bits_clear(const pyaudit_address *a, unsigned prefix)
{
    unsigned bits = a->version == 4 ? 32 : 128;
    for (unsigned bit = prefix; bit < bits; bit++) {
        if (a->bytes[bit / 8] & (0x80 >> (bit % 8))) {
            return 0;
        }
    }
    return 1;
}

static int
is_name(const char *text, size_t n)
{
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '.') {
            if (label == 0) {
                return 0;
            }
            label = 0;
        }
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                 || is_digit(c) || c == '-' || c == '_') {
            label++;
        }
        else {
            return 0;
        }
    }
    return n > 0 && (label > 0 || n > 1);
}

int
pyaudit_parse_host_entry(const char *text, size_t n,
                         pyaudit_address *address)
{
    const char *slash = memchr(text, '/', n);
    if (slash != NULL) {
        size_t at = (size_t)(slash - text);
        long prefix = small_decimal(slash + 1, n - at - 1);
        if (!pyaudit_parse_address(text, at, address) || prefix < 0
            || (unsigned long)prefix > (address->version == 4 ? 32u : 128u)
            || !host_bits_clear(address, (unsigned)prefix)) {
            return 0;
        }
        address->prefix = (unsigned)prefix;
        return 1;
    }
    if (pyaudit_parse_address(text, n, address)) {
        return 1;
    }
    int only_digits_and_dots = 1;
    for (size_t i = 0; i < n; i++) {
        only_digits_and_dots &= is_digit(text[i]) || text[i] == '.';
    }
    if (memchr(text, ':', n) != NULL || only_digits_and_dots
        || !is_name(text, n)) {
        return 0;
    }
    return 2;
}

int
pyaudit_address_in(const pyaudit_address *address,
                   const pyaudit_address *network)
{
    if (address->version != network->version) {
        return 0;
    }
    unsigned whole = network->prefix / 8, rest = network->prefix % 8;
    if (memcmp(address->bytes, network->bytes, whole) != 0) {
        return 0;
    }
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return rest == 0
           || (address->bytes[whole] & mask) == (network->bytes[whole]
                                                 & mask);
}

size_t
pyaudit_host_name_length(const char *name, size_t n)
{
    return n > 1 && name[n - 1] == '.' ? n - 1 : n;
}

int
pyaudit_host_name_equal(const char *name, size_t n, const char *entry,
                        size_t entry_n)
{
    n = pyaudit_host_name_length(name, n);
    if (n != entry_n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != entry[i]) {
            return 0;
        }
    }
    return 1;
}

long
pyaudit_parse_port(const char *text, size_t n)
{
    long port = decimal(text, n, 5);
    return port <= 65535 ? port : -1;
}

/* Whether the scheme is a letter then letters, digits, '+', '.', '-'. */
static int
is_scheme(const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!letter && (i == 0 || !(is_digit(c) || c == '+' || c == '.'
                                    || c == '-'))) {
            return 0;
        }
    }
    return n > 0;
}

static long
default_port(const char *scheme, size_t n)
{
    static const struct {
        const char *scheme;
        long port;
    } defaults[] = {{"http", 80}, {"https", 443}, {"ftp", 21}};
    for (size_t i = 0; i < sizeof(defaults) / sizeof(*defaults); i++) {
        if (strlen(defaults[i].scheme) != n) {
            continue;
        }
        size_t k = 0;
        while (k < n && (scheme[k] | 0x20) == defaults[i].scheme[k]) {
            k++;
        }
        if (k == n) {
            return defaults[i].port;
        }
    }
    return -1;
}

void
pyaudit_url_endpoint(const char *url, size_t n, const char **host,
                     size_t *host_n, long *port)
{
    *host = NULL;
    *host_n = 0;
    *port = -1;
    size_t sep = 0;
    while (sep + 3 <= n && memcmp(url + sep, "://", 3) != 0) {
        sep++;
    }
    if (sep + 3 > n || !is_scheme(url, sep)) {
        return;
    }
    const char *rest = url + sep + 3;
    size_t end = 0, rest_n = n - sep - 3;
    while (end < rest_n && rest[end] != '/' && rest[end] != '?'
           && rest[end] != '#') {
        end++;
    }
    const char *authority = rest;
    size_t auth_n = end;
    for (size_t i = end; i > 0; i--) {
        if (rest[i - 1] == '@') {
            authority = rest + i;
            auth_n = end - i;
            break;
        }
    }
    const char *name = authority, *port_text = NULL;
    size_t name_n = auth_n, port_n = 0;
    if (auth_n > 0 && authority[0] == '[') {
        const char *close = memchr(authority, ']', auth_n);
        if (close == NULL) {
            return;
        }
        size_t after = (size_t)(close - authority) + 1;
        if (after < auth_n && authority[after] != ':') {
            return;
        }
        name = authority + 1;
        name_n = after - 2;
        if (after < auth_n) {
            port_text = authority + after + 1;
            port_n = auth_n - after - 1;
        }
    }
    else {
        for (size_t i = auth_n; i > 0; i--) {
            if (authority[i - 1] == ':') {
                name_n = i - 1;
                port_text = authority + i;
                port_n = auth_n - i;
                break;
            }
        }
    }
    *port = port_n > 0 ? pyaudit_parse_port(port_text, port_n)
                       : default_port(url, sep);
    if (name_n > 0) {
        *host = name;
        *host_n = name_n;
    }
}
