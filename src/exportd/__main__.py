from exportd.cli import main

main()
