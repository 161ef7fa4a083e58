//! JSON pointers (RFC 6901) as field errors and schema failures name fields: the one place
//! tokens are escaped and unescaped, and pointers turned into the dotted names messages use.

/// One token escaped for a pointer (`a/b` → `a~1b`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// One pointer token unescaped (`a~1b` → `a/b`).
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The unescaped tokens of a pointer (`/a/b` → `a`, `b`; the root has none).
pub fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(unescape)
}

/// `pointer` with one more token.
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

/// Turns `/a/b` into `a.b`.
pub fn to_dotted(pointer: &str) -> String {
    tokens(pointer).collect::<Vec<_>>().join(".")
}

/// Turns the dotted path `a.b` into the pointer `/a/b`.
pub fn from_dotted(dotted: &str) -> String {
    if dotted.is_empty() {
        return String::new();
    }
    dotted.split('.').map(|s| child("", s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_with_slashes_and_tildes_survive_a_round_trip() {
        let p = child(&child("", "a/b"), "c~d");
        assert_eq!(p, "/a~1b/c~0d");
        assert_eq!(tokens(&p).collect::<Vec<_>>(), ["a/b", "c~d"]);
        assert_eq!(to_dotted("/meta/request_id"), "meta.request_id");
        assert_eq!(from_dotted("meta.request_id"), "/meta/request_id");
        assert_eq!(from_dotted(""), "");
    }
}
