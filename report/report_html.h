/*
 * report_html.h -- reproduce's report.html, rendered from its finished report.md, so that the
 * two say the same whatever the report's text becomes. The renderer knows exactly the Markdown
 * sekit writes: `#` headings, paragraphs, `- ` and `1. ` lists, `|` tables with a `|---|` row,
 * **bold**, `code` (any backtick run as the delimiter, as CommonMark), and images
 * ![alt](name.png), which become the inline contents of name.svg beside report.md. The page is
 * one polyglot XHTML5 file (it parses as XML) with no external resource: it opens offline.
 */
#ifndef SEKIT_REPORT_HTML_H
#define SEKIT_REPORT_HTML_H

#include "sekit.h"

/* Renders md_path into html_path, through a temporary of its own (fileio.h); an error names the file it concerns
 * and leaves nothing under html_path. */
int sekit_report_html(const char *md_path, const char *html_path, struct sekit_err *e);

/* argv joined with spaces, each argument that the shell would split or expand single-quoted
 * (' inside as '\''), so that the line can be pasted back into a shell; malloc'd, NULL when out
 * of memory. */
char *sekit_command_line(int argc, const char *const *argv);

#endif
