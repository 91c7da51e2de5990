build-stress/obj/src/formats/schema_table.o: src/formats/schema_table.c \
 src/formats/schema_int.h
src/formats/schema_int.h:
