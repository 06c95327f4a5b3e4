//! Text hygiene for anything read from scanned files: control characters never reach a
//! terminal, a JSON consumer or an HTML page, and no single value grows without bound.

/// Longest value kept from a scanned file, in characters.
pub const MAX_VALUE_CHARS: usize = 1024;

/// Strip control characters (C0, DEL, C1 and bidi overrides), collapse whitespace runs to one
/// space, trim, and cap the length at [`MAX_VALUE_CHARS`].
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_VALUE_CHARS));
    let mut pending_space = false;
    let mut n = 0;
    for ch in s.chars() {
        if ch.is_whitespace() || ch.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_bidi_control(ch) {
            continue;
        }
        if pending_space {
            out.push(' ');
            n += 1;
            pending_space = false;
        }
        if n >= MAX_VALUE_CHARS {
            out.push('…');
            break;
        }
        out.push(ch);
        n += 1;
    }
    out
}

fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Lower-case ASCII and fold every run of non-alphanumeric characters to one space, so that
/// "Huawei Technologies Co., Ltd." and "HUAWEI TECHNOLOGIES CO LTD" compare equal.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for ch in s.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(ch);
        } else {
            space = true;
        }
    }
    out
}

/// Legal-form words dropped when normalising a company name.
const LEGAL_FORMS: &[&str] = &[
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "plc",
    "gmbh", "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "ab", "as", "asa", "oy", "oyj",
    "kk", "kabushiki", "kaisha", "pte", "pty", "sdn", "bhd", "ooo", "jsc", "pjsc", "zao", "ao",
    "lp", "llp", "se", "kg", "the",
];

/// Normalise a company name for exact matching: [`fold`], then drop legal-form words.
pub fn normalise_name(s: &str) -> String {
    let folded = fold(s);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let kept: Vec<&str> = words.iter().copied().filter(|w| !LEGAL_FORMS.contains(w)).collect();
    if kept.is_empty() {
        words.join(" ")
    } else {
        kept.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_terminal_escapes() {
        assert_eq!(sanitize("evil\x1b]0;pwned\x07name\n"), "evil ]0;pwned name");
        assert_eq!(sanitize("a\u{202e}b"), "ab");
        assert_eq!(sanitize("  x  "), "x");
    }

    #[test]
    fn sanitize_caps_length() {
        let long = "a".repeat(5000);
        assert_eq!(sanitize(&long).chars().count(), MAX_VALUE_CHARS + 1);
    }

    #[test]
    fn names_normalise() {
        assert_eq!(normalise_name("Huawei Technologies Co., Ltd."), "huawei technologies");
        assert_eq!(normalise_name("HUAWEI TECHNOLOGIES CO LTD"), "huawei technologies");
        assert_eq!(normalise_name("Free Software Foundation, Inc."), "free software foundation");
        assert_eq!(normalise_name("The Co."), "the co");
    }
}
