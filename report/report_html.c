/* report_html.c -- report.html from report.md: see report_html.h. */
#include "report_html.h"
#include "../src/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Tables readable without a stylesheet of the browser's own; figures scale to the page. */
static const char css[] =
    "body{font-family:sans-serif;max-width:72em;margin:1em auto;padding:0 1em;line-height:1.45}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
    "th,td{border:1px solid #bbb;padding:0.25em 0.6em;text-align:left}"
    "th{background:#eee}tr:nth-child(even) td{background:#f8f8f8}"
    "code{background:#f2f2f2;padding:0 0.2em}"
    "blockquote.warning{border-left:0.4em solid #c62;background:#fdf1e8;margin:1em 0;"
    "padding:0.2em 1em}"
    "svg{display:block;max-width:100%;height:auto;margin:0.5em 0}";

struct page {
    FILE *out;
    const char *dir; /* report.md's directory: where the figures are */
    int nfig;        /* figures inlined so far: their ids' prefix */
    struct sekit_err *e;
    int rc;
};

/* The whole file at path, NUL-terminated, malloc'd; NULL with errno set. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got = 1; buf && got > 0;) {
        if (cap - n < 4096) {
            char *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
            if (!buf) break;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    }
    const int err = !buf ? ENOMEM : ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* The length of the UTF-8 character XML 1.0 allows at u[0..n), or 0: invalid or overlong
 * sequences, surrogates, U+FFFE/U+FFFF and control characters other than tab and newlines. */
static size_t xml_char(const unsigned char *u, size_t n)
{
    const unsigned c = u[0];
    if (c < 0x80) return c >= 0x20 || c == '\t' || c == '\n' || c == '\r';
    const size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || len > n) return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
        if ((u[k] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (u[k] & 0x3f);
    }
    static const unsigned least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
        cp == 0xffff)
        return 0;
    return len;
}

/* s[0..n) as XML text or attribute value; a byte that is no allowed character (a path may hold
 * any) becomes U+FFFD, so that no input makes the page ill-formed. */
static void put_text(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        const size_t len = xml_char((const unsigned char *)s + i, n - i);
        if (!len) {
            fputs("\xef\xbf\xbd", f);
            i++;
            continue;
        }
        switch (s[i]) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fwrite(s + i, 1, len, f);
        }
        i += len;
    }
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The figure's SVG, its prolog and DOCTYPE dropped, every id prefixed with "fN-" in definitions
 * and references alike: cairo numbers its ids (glyph0-1, clip1) per file, so that two inlined
 * figures would otherwise share ids and draw each other's glyphs. */
static void put_svg(struct page *pg, const char *alt, size_t altn, const char *src, size_t srcn)
{
    char path[4200];
    const char *slash = NULL, *dot = NULL;
    for (const char *c = src; c < src + srcn; c++)
        if (*c == '.')
            dot = c;
        else if (*c == '/')
            slash = c;
    const size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - src) : srcn;
    snprintf(path, sizeof path, "%s/%.*s.svg", pg->dir, (int)stem, src);
    size_t n;
    char *svg = slurp(path, &n);
    if (!svg) {
        pg->rc =
            sekit_errf(pg->e, SEKIT_EIO, "%s: cannot read the figure: %s", path, strerror(errno));
        return;
    }
    const char *s = strstr(svg, "<svg");
    if (!s) {
        pg->rc = sekit_errf(pg->e, SEKIT_EFORMAT, "%s: not an SVG image", path);
        free(svg);
        return;
    }
    const int fig = ++pg->nfig;
    fputs("<svg role=\"img\" aria-label=\"", pg->out);
    put_text(pg->out, alt, altn);
    fputs("\"", pg->out);
    static const char *const refs[] = {" id=\"", "\nid=\"", "href=\"#", "url(#"};
    for (s += 4; *s;) {
        size_t k = 0;
        while (k < 4 && !starts(s, refs[k]))
            k++;
        if (k == 4) {
            fputc(*s++, pg->out);
            continue;
        }
        fputs(refs[k], pg->out);
        fprintf(pg->out, "f%d-", fig);
        s += strlen(refs[k]);
    }
    free(svg);
}

/* Where the code span opened by the backtick run of k at s ends (its closing run), or NULL. */
static const char *code_end(const char *s, const char *end, size_t k)
{
    for (const char *c = s + k; c < end;) {
        if (*c != '`') {
            c++;
            continue;
        }
        size_t m = 0;
        while (c + m < end && c[m] == '`')
            m++;
        if (m == k) return c;
        c += m;
    }
    return NULL;
}

static const char *find(const char *s, const char *end, const char *what)
{
    const size_t n = strlen(what);
    for (; s + n <= end; s++)
        if (memcmp(s, what, n) == 0) return s;
    return NULL;
}

/* Inline Markdown of s[0..n): code spans, **bold**, images; the rest is text. */
static void put_inline(struct page *pg, const char *s, size_t n)
{
    const char *end = s + n, *text = s, *c = s;
    while (c < end && !pg->rc) {
        const char *close, *mid;
        if (*c == '`') {
            size_t k = 0;
            while (c + k < end && c[k] == '`')
                k++;
            if (!(close = code_end(c, end, k))) {
                c += k;
                continue;
            }
            put_text(pg->out, text, (size_t)(c - text));
            const char *a = c + k, *b = close;
            /* CommonMark: one space each side, when both are there, lets code start or end
             * with a backtick */
            if (b - a >= 2 && a[0] == ' ' && b[-1] == ' ') a++, b--;
            fputs("<code>", pg->out);
            put_text(pg->out, a, (size_t)(b - a));
            fputs("</code>", pg->out);
            text = c = close + k;
        } else if (starts(c, "**") && (close = find(c + 2, end, "**")) && close > c + 2) {
            put_text(pg->out, text, (size_t)(c - text));
            fputs("<strong>", pg->out);
            put_inline(pg, c + 2, (size_t)(close - c - 2));
            fputs("</strong>", pg->out);
            text = c = close + 2;
        } else if (starts(c, "![") && (mid = find(c + 2, end, "](")) &&
                   (close = memchr(mid, ')', (size_t)(end - mid)))) {
            put_text(pg->out, text, (size_t)(c - text));
            put_svg(pg, c + 2, (size_t)(mid - c - 2), mid + 2, (size_t)(close - mid - 2));
            text = c = close + 1;
        } else {
            c++;
        }
    }
    put_text(pg->out, text, (size_t)(c - text));
}

enum block { NONE, PARA, UL, OL, TABLE, QUOTE };

static enum block close_block(struct page *pg, enum block b)
{
    static const char *const tags[] = {"",        "</p>\n",     "</ul>\n",
                                       "</ol>\n", "</table>\n", "</p></blockquote>\n"};
    fputs(tags[b], pg->out);
    return NONE;
}

/* A table row's cells, trimmed, between its pipes; th before the separator row, else td. */
static void put_row(struct page *pg, const char *s, size_t n, int head)
{
    const char *end = s + n;
    while (end > s && end[-1] == ' ')
        end--;
    if (end > s + 1 && end[-1] == '|') end--; /* the closing pipe; an empty last cell stays */
    s++;                                      /* the leading pipe */
    fputs("<tr>", pg->out);
    while (s <= end && !pg->rc) {
        const char *bar = memchr(s, '|', (size_t)(end - s));
        const char *cell_end = bar ? bar : end;
        while (s < cell_end && *s == ' ')
            s++;
        const char *t = cell_end;
        while (t > s && t[-1] == ' ')
            t--;
        fputs(head ? "<th>" : "<td>", pg->out);
        put_inline(pg, s, (size_t)(t - s));
        fputs(head ? "</th>" : "</td>", pg->out);
        s = cell_end + 1;
    }
    fputs("</tr>\n", pg->out);
}

static int separator_row(const char *s, size_t n)
{
    return n > 1 && strspn(s, "|-: ") >= n;
}

/* The body: one block per run of lines of the same kind. */
static void put_body(struct page *pg, const char *md)
{
    enum block b = NONE;
    int table_head = 0;
    for (const char *line = md; *line && !pg->rc;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        const char *next = line + n + (nl != NULL);
        if (n && line[n - 1] == '\r') n--;
        size_t hashes = strspn(line, "#"), digits = strspn(line, "0123456789");
        if (hashes > n) hashes = n;
        if (digits > n) digits = n;
        if (n == 0) {
            b = close_block(pg, b);
        } else if (hashes >= 1 && hashes <= 6 && hashes < n && line[hashes] == ' ') {
            b = close_block(pg, b);
            fprintf(pg->out, "<h%zu>", hashes);
            put_inline(pg, line + hashes + 1, n - hashes - 1);
            fprintf(pg->out, "</h%zu>\n", hashes);
        } else if (n >= 2 && starts(line, "- ")) {
            if (b != UL) b = close_block(pg, b), fputs("<ul>\n", pg->out), b = UL;
            fputs("<li>", pg->out);
            put_inline(pg, line + 2, n - 2);
            fputs("</li>\n", pg->out);
        } else if (digits && digits + 1 < n && line[digits] == '.' && line[digits + 1] == ' ') {
            if (b != OL) {
                b = close_block(pg, b);
                const long first = strtol(line, NULL, 10);
                if (first == 1)
                    fputs("<ol>\n", pg->out);
                else
                    fprintf(pg->out, "<ol start=\"%ld\">\n", first);
                b = OL;
            }
            fputs("<li>", pg->out);
            put_inline(pg, line + digits + 2, n - digits - 2);
            fputs("</li>\n", pg->out);
        } else if (starts(line, "> ")) {
            /* a warning the report puts before everything else */
            if (b == QUOTE)
                fputc('\n', pg->out);
            else
                b = close_block(pg, b), fputs("<blockquote class=\"warning\"><p>", pg->out),
                b = QUOTE;
            put_inline(pg, line + 2, n - 2);
        } else if (line[0] == '|') {
            if (b != TABLE)
                b = close_block(pg, b), fputs("<table>\n", pg->out), b = TABLE, table_head = 1;
            if (separator_row(line, n))
                table_head = 0;
            else
                put_row(pg, line, n, table_head);
        } else {
            if (b == PARA)
                fputc('\n', pg->out);
            else
                b = close_block(pg, b), fputs("<p>", pg->out), b = PARA;
            put_inline(pg, line, n);
        }
        line = next;
    }
    close_block(pg, b);
}

int sekit_report_html(const char *md_path, const char *html_path, struct sekit_err *e)
{
    size_t n;
    char *md = slurp(md_path, &n);
    if (!md) return sekit_errf(e, SEKIT_EIO, "%s: cannot read: %s", md_path, strerror(errno));
    char dir[4096];
    const char *slash = strrchr(md_path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - md_path) : 1, slash ? md_path : ".");
    struct sekit_text_out t;
    int rc = sekit_text_create(&t, html_path, e);
    if (rc) {
        free(md);
        return rc;
    }
    FILE *f = t.fp;
    struct page pg = {.out = f, .dir = dir, .e = e};
    /* the title: the first level-1 heading's text */
    const char *h1 = starts(md, "# ") ? md : strstr(md, "\n# ");
    if (h1 && *h1 == '\n') h1++;
    const size_t tn = h1 ? strcspn(h1 + 2, "\r\n") : 0;
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" "
          "xml:lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>",
          f);
    put_text(f, h1 ? h1 + 2 : "sekit report", h1 ? tn : strlen("sekit report"));
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
    put_body(&pg, md);
    fputs("</body>\n</html>\n", f);
    free(md);
    rc = sekit_text_close(&t, pg.rc, e);
    return rc ? rc : sekit_publish(t.tmp, html_path, e);
}

/* Characters the shell reads literally outside quotes. */
static int shell_safe(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           "_-+=/.,:@%") == strlen(s);
}

char *sekit_command_line(int argc, const char *const *argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += 4 * strlen(argv[i]) + 3;
    char *out = malloc(n), *o = out;
    if (!out) return NULL;
    for (int i = 0; i < argc; i++) {
        if (i) *o++ = ' ';
        const int quote = !shell_safe(argv[i]);
        if (quote) *o++ = '\'';
        for (const char *c = argv[i]; *c; c++) {
            if (*c == '\'') {
                memcpy(o, "'\\''", 4);
                o += 4;
            } else {
                *o++ = *c;
            }
        }
        if (quote) *o++ = '\'';
    }
    *o = 0;
    return out;
}
