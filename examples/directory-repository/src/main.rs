fn main() -> std::process::ExitCode {
    ocm_example_directory_repository::main()
}
