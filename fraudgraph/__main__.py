from fraudgraph.cli import main

main()
