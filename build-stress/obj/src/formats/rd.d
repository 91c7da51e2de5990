build-stress/obj/src/formats/rd.o: src/formats/rd.c include/macext/rd.h \
 include/macext/err.h
include/macext/rd.h:
include/macext/err.h:
