pub mod api;
pub mod api_groups;
pub mod api_measures;
pub mod ops;
pub mod pages;
pub mod pages_catalog;
pub mod pages_groups;
pub mod pages_therapists;
