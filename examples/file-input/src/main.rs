fn main() -> std::process::ExitCode {
    ocm_example_file_input::main()
}
