//! Long lists shown a page at a time: which page a request gets, and where it sits.

/// Where one page sits among the pages of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub page: usize,
    /// At least 1, even when the list is empty.
    pub pages: usize,
    /// Items on every page.
    pub total: usize,
    /// Items a page.
    pub size: usize,
    /// The list goes on past `total`: counting stopped there (see [`Paging::counted_to`]).
    pub more: bool,
}

impl Paging {
    /// Page `asked` (from 1) of a list of `total` items, `size` a page. A page out of range is
    /// the nearest one that exists: 0 is the first, past the end the last.
    pub fn clamped(asked: usize, total: usize, size: usize) -> Self {
        let size = size.max(1);
        let pages = total.div_ceil(size).max(1);
        Self { page: asked.clamp(1, pages), pages, total, size, more: false }
    }

    /// Like [`Paging::clamped`] for a list counted only up to `cap` items: a `count` past the
    /// cap (the store stops at `cap + 1`) shows the first `cap` items' pages and says there are
    /// more. Counting 100,000 clients on every view of the first page costs more than the rest
    /// of the page; nobody pages past the thousandth name, they search.
    pub fn counted_to(asked: usize, count: usize, size: usize, cap: usize) -> Self {
        let more = count > cap;
        Self { more, ..Self::clamped(asked, count.min(cap), size) }
    }

    /// How many items come before this page.
    pub fn offset(&self) -> usize {
        (self.page - 1) * self.size
    }
}

/// One page of a list, with where it sits.
#[derive(Clone, Debug)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub paging: Paging,
}

/// A count from the database as a length.
pub(crate) fn total(count: i64) -> usize {
    usize::try_from(count).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::Paging;

    #[test]
    fn a_page_out_of_range_is_the_nearest_that_exists() {
        let at = |asked| Paging::clamped(asked, 160, 25);
        assert_eq!((at(1).page, at(1).pages, at(1).offset()), (1, 7, 0));
        assert_eq!((at(7).page, at(7).offset()), (7, 150));
        assert_eq!(at(0).page, 1, "0 is the first page");
        assert_eq!(at(8).page, 7, "past the end is the last page");
        assert_eq!(at(usize::MAX).page, 7);
    }

    #[test]
    fn a_list_counted_past_its_cap_says_there_are_more() {
        let capped = Paging::counted_to(99, 1001, 25, 1000);
        assert_eq!((capped.total, capped.pages, capped.page, capped.more), (1000, 40, 40, true));
        let exact = Paging::counted_to(1, 1000, 25, 1000);
        assert_eq!((exact.total, exact.more), (1000, false));
    }

    #[test]
    fn an_empty_list_has_one_empty_page() {
        let empty = Paging::clamped(3, 0, 25);
        assert_eq!((empty.page, empty.pages, empty.offset()), (1, 1, 0));
        assert_eq!(Paging::clamped(1, 25, 25).pages, 1, "exactly one full page");
        assert_eq!(Paging::clamped(2, 26, 25).pages, 2);
    }
}
