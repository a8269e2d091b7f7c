//! End-to-end tests: the real application on a random port with a fresh database (SQLite,
//! or PostgreSQL when `TEST_DATABASE_URL` is set).

mod access_matrix;
mod accounts;
mod admin_lists;
mod at_rest;
mod audit_atomic;
mod audit_tamper;
mod browser;
mod browser_care;
mod browser_staff_week;
mod browser_week;
mod care_team;
mod cli;
mod directory;
mod faults;
mod first_meeting;
mod forms_keep_input;
mod groups;
mod helpers;
mod home;
mod hygiene;
mod login_attacks;
mod logs;
mod measures;
mod moved_meeting;
mod names_and_times;
mod pages;
mod reason_clock;
mod robustness;
mod room;
mod room_edges;
mod scale_seed;
mod second_factor;
mod security;
mod staff_home;
mod statements;
