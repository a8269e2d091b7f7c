//! The links under a list shown a page at a time (`_pager.html`), and the `?page=N` they
//! carry.

use hearth_app::Paging;

/// Where a page sits, and the addresses of the pages before and after it.
#[derive(Clone, Debug)]
pub struct Pager {
    /// Names the links for screen readers, e.g. "Pages of therapists".
    pub label: &'static str,
    pub page: usize,
    pub pages: usize,
    /// "160 therapists".
    pub total: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `link(n)` is the address of page `n`; `noun` is (one, many), e.g. ("therapist",
    /// "therapists").
    pub fn new(
        label: &'static str,
        paging: Paging,
        noun: (&str, &str),
        link: impl Fn(usize) -> String,
    ) -> Self {
        let (page, pages) = (paging.page, paging.pages);
        let noun = if paging.total == 1 { noun.0 } else { noun.1 };
        Self {
            label,
            page,
            pages,
            total: if paging.more {
                format!("more than {} {noun}", paging.total)
            } else {
                format!("{} {noun}", paging.total)
            },
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// The page a `?page=` value asks for: missing, empty or not a whole number is the first
/// page (the app takes 0 or a page past the end to the nearest that exists).
pub fn asked_page(raw: Option<&str>) -> usize {
    raw.and_then(|p| p.trim().parse().ok()).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::{Pager, asked_page};
    use hearth_app::Paging;

    #[test]
    fn garbage_asks_for_the_first_page() {
        assert_eq!(asked_page(None), 1);
        assert_eq!(asked_page(Some("")), 1);
        assert_eq!(asked_page(Some("two")), 1);
        assert_eq!(asked_page(Some("-3")), 1);
        assert_eq!(asked_page(Some(" 4 ")), 4);
        assert_eq!(asked_page(Some("0")), 0, "the app clamps 0 to the first page");
    }

    #[test]
    fn the_links_lead_to_the_neighbouring_pages_only() {
        let link = |n| format!("/x?page={n}");
        let middle = Pager::new("Pages", Paging::clamped(2, 160, 25), ("item", "items"), link);
        assert_eq!(middle.previous.as_deref(), Some("/x?page=1"));
        assert_eq!(middle.next.as_deref(), Some("/x?page=3"));
        assert_eq!((middle.page, middle.pages, middle.total.as_str()), (2, 7, "160 items"));
        let last = Pager::new("Pages", Paging::clamped(9, 160, 25), ("item", "items"), link);
        assert_eq!((last.previous.as_deref(), last.next), (Some("/x?page=6"), None));
        let one = Pager::new("Pages", Paging::clamped(1, 1, 25), ("item", "items"), link);
        assert_eq!((one.previous, one.next, one.total.as_str()), (None, None, "1 item"));
        let capped =
            Pager::new("Pages", Paging::counted_to(1, 1001, 25, 1000), ("item", "items"), link);
        assert_eq!(capped.total, "more than 1000 items");
    }
}
