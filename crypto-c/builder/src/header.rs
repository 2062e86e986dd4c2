//! The one reader of the API header, `crypto-c/include/svsm_crypto.h`.
//!
//! Everything the header states that the build or the certification material
//! needs is taken from here: the exported functions (for the link's export
//! list), the self-test list (for BREAK builds and the manifest), and for the
//! manifest's `api` object the functions with their comments and parameters,
//! the status codes, the module states, the callbacks, the numeric constants
//! and the API conventions. No other tool parses the header.
//!
//! The header is plain C written to a few conventions this reader relies on
//! and checks: every API function is declared `SVSM_CRYPTO_API`, its comment
//! sits right above it (or trails it on the same line), `/* ---- Title ---- */`
//! comments head groups, and the self-tests are the `X(...)` entries of
//! `SVSM_CRYPTO_SELF_TEST_LIST`.

use crate::{Result, bail};
use serde::Serialize;
use std::path::Path;

/// The API prefix every exported symbol carries.
pub const PREFIX: &str = "svsm_crypto_";
const API_MARKER: &str = "SVSM_CRYPTO_API";
const SELF_TEST_LIST: &str = "SVSM_CRYPTO_SELF_TEST_LIST";
const STATUS_ENUM: &str = "svsm_crypto_status_code";
const STATE_ENUM: &str = "svsm_crypto_state";
const CALLBACKS_STRUCT: &str = "svsm_crypto_callbacks";

/// What the header declares, in header order.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    /// The "Conventions" part of the header's opening comment, line breaks kept.
    pub conventions: String,
    pub functions: Vec<ApiFunction>,
    pub status_codes: Vec<Named>,
    pub states: Vec<Named>,
    pub callbacks: Callbacks,
    /// Object-like `#define NAME <integer>` of the header.
    pub constants: Vec<Named>,
    /// Power-on self-tests in execution order (serialized as the manifest's
    /// top-level `self_tests`, not here).
    #[serde(skip)]
    pub self_tests: Vec<SelfTest>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiFunction {
    pub name: String,
    /// Return type as written, e.g. `const char *`.
    pub returns: String,
    pub params: Vec<Param>,
    /// Title of the `/* ---- Title ---- */` group it is declared under.
    pub group: String,
    /// Its comment (above it and/or trailing it), on one line; empty if none.
    pub doc: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// Type as written, e.g. `const uint8_t *`.
    #[serde(rename = "type")]
    pub ctype: String,
    pub name: String,
}

/// An enumerator or a constant: name, value and its comment (may be empty).
#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub name: String,
    pub value: i64,
    pub doc: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Callbacks {
    /// The comment above `struct svsm_crypto_callbacks`, on one line.
    pub doc: String,
    pub members: Vec<CallbackMember>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallbackMember {
    pub name: String,
    /// The member declaration as written, on one line.
    pub declaration: String,
    /// True for a function pointer (a call out of the boundary).
    pub function: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SelfTest {
    pub id: String,
    pub name: String,
    /// The enum suffix in the header (`SVSM_CRYPTO_TEST_<symbol>`).
    #[serde(skip)]
    pub symbol: String,
}

impl Header {
    pub fn load(path: &Path) -> Result<Header> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error(format!("{}: {e}", path.display())))?;
        Header::parse(&text).map_err(|e| crate::Error(format!("{}: {}", path.display(), e.0)))
    }

    pub fn parse(text: &str) -> Result<Header> {
        let tokens = tokenize(text)?;
        let header = Header {
            conventions: conventions(&tokens),
            functions: functions(&tokens)?,
            status_codes: enumerators(&tokens, STATUS_ENUM)?,
            states: enumerators(&tokens, STATE_ENUM)?,
            callbacks: callbacks(&tokens)?,
            constants: constants(&tokens),
            self_tests: self_tests(&tokens)?,
        };
        if header.functions.is_empty() {
            bail!("no {API_MARKER} declarations");
        }
        Ok(header)
    }

    /// Names of the API functions, in header order.
    pub fn function_names(&self) -> Vec<String> {
        self.functions.iter().map(|f| f.name.clone()).collect()
    }

    pub fn self_test(&self, id: &str) -> Option<&SelfTest> {
        self.self_tests.iter().find(|t| t.id == id)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A comment's words without `/*`, `*/` and the ` * ` margins.
    Comment(String),
    /// A whole preprocessor directive, continuation lines included.
    Directive(String),
    Word(String),
    Punct(char),
    /// A line break (kept so that "on the same line" can be told).
    Newline,
}

fn tokenize(text: &str) -> Result<Vec<Token>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        let c = bytes[i];
        let rest = &text[i..];
        if rest.starts_with("/*") {
            let Some(end) = rest.find("*/") else {
                bail!("unterminated comment");
            };
            tokens.push(Token::Comment(comment_words(&rest[2..end])));
            i += end + 2;
        } else if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            tokens.push(Token::Comment(rest[2..end].trim().to_string()));
            i += end;
        } else if c == b'#' && line_start {
            let mut end = 0;
            loop {
                let line_end = rest[end..].find('\n').map_or(rest.len(), |n| end + n);
                if rest[end..line_end].trim_end().ends_with('\\') && line_end < rest.len() {
                    end = line_end + 1;
                } else {
                    end = line_end;
                    break;
                }
            }
            tokens.push(Token::Directive(rest[..end].to_string()));
            i += end;
        } else if c == b'\n' {
            tokens.push(Token::Newline);
            line_start = true;
            i += 1;
            continue;
        } else if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            tokens.push(Token::Word(rest[..len].to_string()));
            i += len;
        } else {
            let ch = rest.chars().next().expect("not at the end");
            tokens.push(Token::Punct(ch));
            i += ch.len_utf8();
        }
        line_start = false;
    }
    Ok(tokens)
}

fn comment_words(body: &str) -> String {
    let lines: Vec<&str> = body
        .lines()
        .map(|l| {
            let t = l.trim_start();
            t.strip_prefix("* ")
                .or_else(|| t.strip_prefix('*'))
                .unwrap_or(l)
                .trim_end()
        })
        .collect();
    lines.join("\n").trim().to_string()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Joins C tokens as a person writes them: `const uint8_t *`, `int32_t (*f)(void *ctx)`.
fn join_c(tokens: &[Token]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Token> = None;
    for t in tokens {
        let text = match t {
            Token::Word(w) => w.clone(),
            Token::Punct(p) => p.to_string(),
            _ => continue,
        };
        let space = match (prev, t) {
            (None, _) => false,
            (_, Token::Punct(')' | ',' | ']' | '[')) => false,
            (Some(Token::Punct('(' | '*' | '[')), _) => false,
            (Some(Token::Punct(')')), Token::Punct('(')) => false,
            (Some(Token::Punct(',')), _) => true,
            (Some(Token::Word(_)), _) => true,
            (Some(Token::Punct(_)), Token::Word(_)) => true,
            _ => false,
        };
        if space {
            out.push(' ');
        }
        out.push_str(&text);
        prev = Some(t);
    }
    out
}

fn group_title(comment: &str) -> Option<String> {
    let t = comment.trim();
    let inner = t.strip_prefix("--")?.trim_start_matches('-');
    let end = inner.find("--")?;
    Some(inner[..end].trim().to_string())
}

fn conventions(tokens: &[Token]) -> String {
    let Some(Token::Comment(first)) = tokens.iter().find(|t| **t != Token::Newline) else {
        return String::new();
    };
    let Some((_, after)) = first.split_once("Conventions") else {
        return String::new();
    };
    let lines: Vec<&str> = after.trim_matches('\n').lines().collect();
    let margin = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(margin..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Index of the next token that is not a line break, from `i`.
fn skip_newlines(tokens: &[Token], mut i: usize) -> usize {
    while tokens.get(i) == Some(&Token::Newline) {
        i += 1;
    }
    i
}

fn functions(tokens: &[Token]) -> Result<Vec<ApiFunction>> {
    let mut out = Vec::new();
    let mut group = String::new();
    // A comment waiting for the declaration right below it.
    let mut pending: Option<String> = None;
    let mut blank_since_comment = false;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Comment(c) => {
                if let Some(title) = group_title(c) {
                    group = title;
                    pending = None;
                } else {
                    pending = Some(c.clone());
                    blank_since_comment = false;
                }
                i += 1;
            }
            Token::Newline => {
                if tokens.get(i + 1) == Some(&Token::Newline) {
                    blank_since_comment = true;
                }
                i += 1;
            }
            Token::Word(w) if w == API_MARKER => {
                let end = tokens[i..]
                    .iter()
                    .position(|t| *t == Token::Punct(';'))
                    .map(|n| i + n)
                    .ok_or_else(|| crate::Error(format!("{API_MARKER} declaration without ';'")))?;
                let decl: Vec<Token> = tokens[i + 1..end]
                    .iter()
                    .filter(|t| matches!(t, Token::Word(_) | Token::Punct(_)))
                    .cloned()
                    .collect();
                let mut f = declaration(&decl)?;
                let above = if blank_since_comment {
                    None
                } else {
                    pending.take()
                };
                let mut doc = above.unwrap_or_default();
                // A comment on the same line, after the ';'.
                if let Some(Token::Comment(c)) = tokens.get(end + 1) {
                    doc = format!("{doc} {c}");
                    i = end + 2;
                } else {
                    i = end + 1;
                }
                f.doc = one_line(&doc);
                f.group = group.clone();
                out.push(f);
                pending = None;
            }
            _ => {
                pending = None;
                i += 1;
            }
        }
    }
    Ok(out)
}

/// `ret name(params)` from the tokens between `SVSM_CRYPTO_API` and `;`.
fn declaration(decl: &[Token]) -> Result<ApiFunction> {
    let open = decl
        .iter()
        .position(|t| *t == Token::Punct('('))
        .ok_or_else(|| crate::Error(format!("not a function declaration: {}", join_c(decl))))?;
    let Some(Token::Word(name)) = open.checked_sub(1).and_then(|n| decl.get(n)) else {
        bail!("API declaration without a name: {}", join_c(decl));
    };
    if !name.starts_with(PREFIX) {
        bail!("API function without the {PREFIX} prefix: {name}");
    }
    if decl.last() != Some(&Token::Punct(')')) {
        bail!("{name}: declaration does not end with its parameter list");
    }
    let mut params = Vec::new();
    let inner = &decl[open + 1..decl.len() - 1];
    let mut depth = 0;
    let mut start = 0;
    for (k, t) in inner
        .iter()
        .enumerate()
        .chain([(inner.len(), &Token::Punct(','))])
    {
        match t {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                let p = &inner[start..k];
                start = k + 1;
                if p.is_empty() || p == [Token::Word("void".into())] {
                    continue;
                }
                let Some(Token::Word(pname)) = p.last() else {
                    bail!("{name}: parameter without a name: {}", join_c(p));
                };
                params.push(Param {
                    ctype: join_c(&p[..p.len() - 1]),
                    name: pname.clone(),
                });
            }
            _ => {}
        }
    }
    Ok(ApiFunction {
        name: name.clone(),
        returns: join_c(&decl[..open - 1]),
        params,
        group: String::new(),
        doc: String::new(),
    })
}

/// The tokens between the braces of `keyword name {`, and the index of the
/// token before `keyword` (for the comment above it).
fn braced<'a>(tokens: &'a [Token], keyword: &str, name: &str) -> Option<(usize, &'a [Token])> {
    let k = tokens.windows(3).position(|w| {
        w[0] == Token::Word(keyword.into())
            && w[1] == Token::Word(name.into())
            && w[2] == Token::Punct('{')
    })?;
    let open = k + 3;
    let close = tokens[open..]
        .iter()
        .position(|t| *t == Token::Punct('}'))?
        + open;
    Some((k, &tokens[open..close]))
}

fn enumerators(tokens: &[Token], name: &str) -> Result<Vec<Named>> {
    let Some((_, body)) = braced(tokens, "enum", name) else {
        bail!("enum {name} not found");
    };
    let mut out = Vec::new();
    let mut i = skip_newlines(body, 0);
    while i < body.len() {
        let Some(Token::Word(ident)) = body.get(i) else {
            bail!("enum {name}: unexpected {:?}", body[i]);
        };
        let mut k = i + 1;
        if body.get(k) != Some(&Token::Punct('=')) {
            bail!("enum {name}: {ident} has no explicit value");
        }
        k += 1;
        let negative = body.get(k) == Some(&Token::Punct('-'));
        if negative {
            k += 1;
        }
        let Some(Token::Word(num)) = body.get(k) else {
            bail!("enum {name}: {ident} has no numeric value");
        };
        let value = parse_int(num)
            .ok_or_else(|| crate::Error(format!("enum {name}: {ident} = {num} is not a number")))?;
        k += 1;
        if body.get(k) == Some(&Token::Punct(',')) {
            k += 1;
        }
        let doc = match body.get(k) {
            Some(Token::Comment(c)) => {
                k += 1;
                one_line(c)
            }
            _ => String::new(),
        };
        out.push(Named {
            name: ident.clone(),
            value: if negative { -value } else { value },
            doc,
        });
        i = skip_newlines(body, k);
    }
    if out.is_empty() {
        bail!("enum {name} is empty");
    }
    Ok(out)
}

fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim_end_matches(['u', 'U', 'l', 'L']);
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

fn callbacks(tokens: &[Token]) -> Result<Callbacks> {
    let Some((at, body)) = braced(tokens, "struct", CALLBACKS_STRUCT) else {
        bail!("struct {CALLBACKS_STRUCT} not found");
    };
    // `typedef struct name {`: the comment is above the typedef.
    let mut before = at;
    while before > 0 && matches!(&tokens[before - 1], Token::Word(w) if w == "typedef") {
        before -= 1;
    }
    while before > 0 && tokens[before - 1] == Token::Newline {
        before -= 1;
    }
    let doc = match before.checked_sub(1).map(|b| &tokens[b]) {
        Some(Token::Comment(c)) => one_line(c),
        _ => String::new(),
    };
    let code: Vec<Token> = body
        .iter()
        .filter(|t| matches!(t, Token::Word(_) | Token::Punct(_)))
        .cloned()
        .collect();
    let mut members = Vec::new();
    for decl in code.split(|t| *t == Token::Punct(';')) {
        if decl.is_empty() {
            continue;
        }
        let pointer_name = decl.windows(3).find_map(|w| match w {
            [Token::Punct('('), Token::Punct('*'), Token::Word(n)] => Some(n.clone()),
            _ => None,
        });
        let (name, function) = match pointer_name {
            Some(n) => (n, true),
            None => match decl.iter().rev().find_map(|t| match t {
                Token::Word(w) => Some(w.clone()),
                _ => None,
            }) {
                Some(n) => (n, false),
                None => bail!("struct {CALLBACKS_STRUCT}: member without a name"),
            },
        };
        members.push(CallbackMember {
            name,
            declaration: join_c(decl) + ";",
            function,
        });
    }
    if !members.iter().any(|m| m.function) {
        bail!("struct {CALLBACKS_STRUCT} has no function pointer");
    }
    Ok(Callbacks { doc, members })
}

fn constants(tokens: &[Token]) -> Vec<Named> {
    let mut out = Vec::new();
    for t in tokens {
        let Token::Directive(d) = t else { continue };
        let mut words = d.trim_start_matches('#').split_whitespace();
        if words.next() != Some("define") {
            continue;
        }
        let (Some(name), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        // Object-like macros whose whole value is an integer literal,
        // optionally followed by a comment on the same line.
        let (value, after) = value.split_once("/*").map_or((value, ""), |(v, c)| (v, c));
        let trailing = format!("{after} {}", words.collect::<Vec<_>>().join(" "));
        let comment = if after.is_empty() {
            trailing.trim().strip_prefix("/*")
        } else {
            Some(trailing.as_str())
        };
        if name.contains('(') || (comment.is_none() && !trailing.trim().is_empty()) {
            continue;
        }
        let Some(value) = parse_int(value) else {
            continue;
        };
        let doc = comment.map_or(String::new(), |c| {
            comment_words(c.trim_end().trim_end_matches("*/"))
        });
        out.push(Named {
            name: name.to_string(),
            value,
            doc: one_line(&doc),
        });
    }
    out
}

fn self_tests(tokens: &[Token]) -> Result<Vec<SelfTest>> {
    let head = format!("{SELF_TEST_LIST}(X)");
    let Some(list) = tokens.iter().find_map(|t| match t {
        Token::Directive(d) if d.contains(&head) => Some(d),
        _ => None,
    }) else {
        bail!("no {head}");
    };
    let mut tests = Vec::new();
    for line in list.lines().skip(1) {
        let line = line.trim();
        let Some(args) = line.strip_prefix("X(") else {
            break;
        };
        let args = args.trim_end_matches('\\').trim().trim_end_matches(')');
        let mut parts = args.splitn(3, ',').map(str::trim);
        let (Some(symbol), Some(id), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            bail!("cannot read self-test entry {line:?}")
        };
        tests.push(SelfTest {
            symbol: symbol.to_string(),
            id: id.trim_matches('"').to_string(),
            name: name.trim_matches('"').to_string(),
        });
    }
    if tests.is_empty() {
        bail!("empty self-test list");
    }
    Ok(tests)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"/*
 * sample.h - a header in the API's style.
 *
 * Conventions
 *  - Every service returns a status.
 *    Second line of the first rule.
 */
#ifndef SAMPLE_H
#define SAMPLE_H
#if defined(__GNUC__)
#define SVSM_CRYPTO_API __attribute__((visibility("default")))
#endif

enum svsm_crypto_status_code {
    SVSM_CRYPTO_OK = 0,          /* success, approved */
    SVSM_CRYPTO_ERR_ARG = -2     /* bad argument */
};

enum svsm_crypto_state {
    SVSM_CRYPTO_STATE_UNINITIALIZED = 0,
    SVSM_CRYPTO_STATE_ERROR = 0x3
};

#define SVSM_CRYPTO_SELF_TEST_LIST(X)                 \
    X(SHA256_KAT, "sha256-kat", "SHA-256 KAT")         \
    X(INTEGRITY, "integrity", "Software integrity, test")

/*
 * What the module calls outside itself.
 */
typedef struct svsm_crypto_callbacks {
    void *context;
    int32_t (*get_noise)(void *context, uint8_t *out, size_t len);
    uint64_t xcr0;
} svsm_crypto_callbacks;

/* ---- Module control ---- */

/* Runs the self-tests. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_init(const svsm_crypto_callbacks *callbacks);
SVSM_CRYPTO_API uint32_t svsm_crypto_state(void);
SVSM_CRYPTO_API const char *svsm_crypto_key(uint32_t id);  /* "integrity"; NULL if unknown */
/* An orphan comment, separated by a blank line. */

SVSM_CRYPTO_API void svsm_crypto_zeroize(void);

/* ---- Hashing ---- */

#define SVSM_CRYPTO_MAX_DIGEST_LEN 64
#define SVSM_CRYPTO_DRBG_MAX_INPUT 4096 /* personalization, additional input */
#define SVSM_CRYPTO_NOT_A_LITERAL 4096 + 1
#define SVSM_CRYPTO_TIGHT_COMMENT 16/*bytes*/
/* Many lines,
 * one comment. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hash(
    uint32_t alg, const uint8_t *msg, size_t msg_len,
    uint8_t *digest, size_t digest_len);
#endif
"#;

    #[test]
    fn reads_every_fact_of_a_header() {
        let h = Header::parse(SAMPLE).unwrap();
        assert_eq!(
            h.conventions,
            "- Every service returns a status.\n  Second line of the first rule."
        );
        let names = h.function_names();
        assert_eq!(
            names,
            [
                "svsm_crypto_init",
                "svsm_crypto_state",
                "svsm_crypto_key",
                "svsm_crypto_zeroize",
                "svsm_crypto_hash"
            ]
        );
        let f = &h.functions;
        assert_eq!(f[0].doc, "Runs the self-tests.");
        assert_eq!(f[0].group, "Module control");
        assert_eq!(f[0].returns, "svsm_crypto_status");
        assert_eq!(f[0].params[0].ctype, "const svsm_crypto_callbacks *");
        assert_eq!(f[0].params[0].name, "callbacks");
        assert!(f[1].params.is_empty());
        assert_eq!(f[1].doc, "");
        assert_eq!(f[2].returns, "const char *");
        assert_eq!(f[2].doc, "\"integrity\"; NULL if unknown");
        assert_eq!(
            f[3].doc, "",
            "a blank line separates a comment from a function"
        );
        assert_eq!(f[4].group, "Hashing");
        assert_eq!(f[4].doc, "Many lines, one comment.");
        let params: Vec<(&str, &str)> = f[4]
            .params
            .iter()
            .map(|p| (p.ctype.as_str(), p.name.as_str()))
            .collect();
        assert_eq!(
            params,
            [
                ("uint32_t", "alg"),
                ("const uint8_t *", "msg"),
                ("size_t", "msg_len"),
                ("uint8_t *", "digest"),
                ("size_t", "digest_len")
            ]
        );

        let status: Vec<(&str, i64, &str)> = h
            .status_codes
            .iter()
            .map(|s| (s.name.as_str(), s.value, s.doc.as_str()))
            .collect();
        assert_eq!(
            status,
            [
                ("SVSM_CRYPTO_OK", 0, "success, approved"),
                ("SVSM_CRYPTO_ERR_ARG", -2, "bad argument")
            ]
        );
        assert_eq!(h.states[1].name, "SVSM_CRYPTO_STATE_ERROR");
        assert_eq!(h.states[1].value, 3);

        assert_eq!(h.callbacks.doc, "What the module calls outside itself.");
        let members: Vec<(&str, bool)> = h
            .callbacks
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.function))
            .collect();
        assert_eq!(
            members,
            [("context", false), ("get_noise", true), ("xcr0", false)]
        );
        assert_eq!(
            h.callbacks.members[1].declaration,
            "int32_t (*get_noise)(void *context, uint8_t *out, size_t len);"
        );

        let constants: Vec<(&str, i64, &str)> = h
            .constants
            .iter()
            .map(|c| (c.name.as_str(), c.value, c.doc.as_str()))
            .collect();
        assert_eq!(
            constants,
            [
                ("SVSM_CRYPTO_MAX_DIGEST_LEN", 64, ""),
                (
                    "SVSM_CRYPTO_DRBG_MAX_INPUT",
                    4096,
                    "personalization, additional input"
                ),
                ("SVSM_CRYPTO_TIGHT_COMMENT", 16, "bytes")
            ]
        );

        let tests: Vec<(&str, &str, &str)> = h
            .self_tests
            .iter()
            .map(|t| (t.symbol.as_str(), t.id.as_str(), t.name.as_str()))
            .collect();
        assert_eq!(
            tests,
            [
                ("SHA256_KAT", "sha256-kat", "SHA-256 KAT"),
                ("INTEGRITY", "integrity", "Software integrity, test")
            ]
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let unprefixed = SAMPLE.replace("svsm_crypto_zeroize(void)", "zeroize(void)");
        let e = Header::parse(&unprefixed).unwrap_err();
        assert!(e.0.contains("prefix"), "{e}");

        let no_list = SAMPLE.replace("SVSM_CRYPTO_SELF_TEST_LIST(X)", "OTHER_LIST(X)");
        let e = Header::parse(&no_list).unwrap_err();
        assert!(e.0.contains("SVSM_CRYPTO_SELF_TEST_LIST"), "{e}");

        let no_value = SAMPLE.replace("SVSM_CRYPTO_ERR_ARG = -2", "SVSM_CRYPTO_ERR_ARG");
        let e = Header::parse(&no_value).unwrap_err();
        assert!(e.0.contains("no explicit value"), "{e}");

        // The last declaration loses its ';'.
        let cut = &SAMPLE[..SAMPLE.rfind(';').unwrap()];
        let e = Header::parse(cut).unwrap_err();
        assert!(e.0.contains("without ';'"), "{e}");
    }

    #[test]
    fn the_real_header_reads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/svsm_crypto.h");
        let h = Header::load(&path).unwrap();
        assert!(h.function_names().iter().any(|n| n == "svsm_crypto_init"));
        assert!(h.status_codes.iter().any(|s| s.name == "SVSM_CRYPTO_OK"));
        assert!(h.self_test("integrity").is_some());
        assert!(h.functions.iter().all(|f| !f.group.is_empty()));
    }
}
